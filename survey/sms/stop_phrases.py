"""Everyday ways to ask for no more texts, in every survey language.

TEAM-WRITTEN, NOT VETTED: these phrases were written by the engineering team from
common usage, not by native-speaker reviewers, and should go through the same
review as the instrument (a reviewer adds what people really type, and removes
what could be an ordinary answer). ``keywords`` merges ``PHRASES`` into its
opt-out list, so the same rules apply: the whole message must be one of them,
give or take courtesy words, after ``textnorm.fold`` (case, punctuation, Latin
accents, Arabic spelling variants; "đ" is also read as "d", since people type
Vietnamese without its marks).

``MENTIONS`` are stems that, anywhere in a longer message, suggest a wish to stop:
only a flag for a person to review, never an opt-out, so a false positive costs
a look, not a lost resident. A stem ending in "*" matches the start of a word
(Arabic "لا ترسل*" finds ترسلوا and ترسلي). ``MENTION_PAIRS`` are for scripts
without spaces (Chinese): a message is flagged when it has a "stop/don't/why" stem
*and* a "texting" stem, so "不要太吵" (don't be so noisy) or "希望多举办社区活动"
are not, while "你们不要再给我发短信好吗" is.
"""

from __future__ import annotations

__all__ = ["AFFIXES", "MENTIONS", "MENTION_PAIRS", "PHRASES"]


def _zh(
    negations: tuple[str, ...], to_me: str, send: str, objects: tuple[str, ...]
) -> tuple[str, ...]:
    """不要/别 (再) (给我) 发 (短信): every combination, as people type them."""
    return tuple(
        f"{neg}{me}{send}{obj}" for neg in negations for me in ("", to_me) for obj in objects
    )


PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "dont text me anymore", "dont text me any more", "do not text me anymore",
        "dont message me", "do not message me", "dont send me texts",
        "dont send me messages", "do not send me messages", "do not send me texts",
        "stop sending", "stop sending messages", "stop sending texts", "stop the texts",
        "stop the messages", "stop messaging", "i want to unsubscribe", "i want to opt out",
        "no more text messages", "remove my number", "delete my number",
    ),
    "es": (
        "ya no me manden mensajes", "no me escriban", "no me escriban mas",
        "no me manden mas", "no quiero mas mensajes", "no quiero recibir mensajes",
        "no quiero recibir mas mensajes", "deja de escribirme", "dejen de enviarme mensajes",
        "no me envien mas", "no me escribas", "no me escribas mas",
    ),
    "zh_Hans": (
        *_zh(("不要", "不要再", "别", "别再", "请勿", "勿"), "给我", "发",
             ("", "短信", "信息", "消息")),
        "停止发送", "停止发短信", "停止发送短信", "停止发信息", "停止发消息", "停止短信",
        "不要再联系我", "不要联系我", "别联系我", "别再联系我", "不想收到短信",
        "我不想再收到短信", "不想再收到短信", "退订短信", "取消短信", "别烦我", "不要打扰我",
    ),
    "zh_Hant": (
        *_zh(("不要", "不要再", "別", "別再", "請勿", "勿"), "給我", "發",
             ("", "簡訊", "短信", "訊息", "消息")),
        "停止發送", "停止發簡訊", "停止發送簡訊", "停止發訊息", "停止簡訊", "停止短信",
        "不要再聯絡我", "不要聯絡我", "別聯絡我", "別再聯絡我", "不想收到簡訊",
        "我不想再收到簡訊", "不想再收到簡訊", "退訂簡訊", "取消簡訊", "別煩我", "不要打擾我",
    ),
    "vi": (
        "đừng nhắn tin", "đừng nhắn tin nữa", "đừng nhắn tin cho tôi",
        "đừng nhắn tin cho tôi nữa", "đừng nhắn nữa", "đừng gửi tin nhắn",
        "đừng gửi tin nhắn nữa", "đừng gửi tin nhắn cho tôi", "đừng gửi tin nhắn cho tôi nữa",
        "đừng gửi tin nữa", "không nhắn tin nữa", "không muốn nhận tin nhắn",
        "tôi không muốn nhận tin nhắn", "không muốn nhận tin nhắn nữa",
        "tôi không muốn nhận tin nhắn nữa", "không nhận tin nhắn nữa", "dừng nhắn tin",
        "dừng gửi tin nhắn", "ngừng nhắn tin", "ngừng gửi tin nhắn", "ngừng gửi tin",
        "ngừng nhắn tin nữa", "dừng nhắn tin nữa",
    ),
    "tl": (
        "tama na", "tigil na", "itigil na", "itigil mo na", "itigil nyo na", "stop na",
        "ayaw ko na", "huwag mo na akong i text", "wag mo na akong i text",
        "huwag nyo na akong i text", "wag nyo na akong i text", "huwag na kayong mag text",
        "wag na kayong mag text",
    ),
    "ru": (
        "не пишите мне", "не пишите", "не пишите мне больше", "больше не пишите",
        "не присылайте сообщения", "не присылайте мне сообщения",
        "не присылайте больше сообщений", "перестаньте писать", "перестаньте писать мне",
        "прекратите", "прекратите писать", "отпишите меня", "не беспокойте меня",
    ),
    "uk": (
        "не пишіть мені", "не пишіть", "не пишіть мені більше", "більше не пишіть",
        "не надсилайте повідомлення", "не надсилайте мені повідомлень", "припиніть",
        "припиніть писати", "перестаньте писати", "відпишіть мене", "не турбуйте мене",
    ),
    "ko": (
        "문자 그만", "문자 그만 보내", "문자 그만 보내세요", "그만 보내세요", "그만 보내",
        "문자 보내지 마세요", "문자 보내지 마", "보내지 마세요", "연락하지 마세요",
        "문자그만", "문자그만보내세요", "그만보내세요", "문자보내지마세요", "보내지마세요",
        "연락하지마세요",
    ),
    "so": (
        "jooji fariimaha", "jooji farriimaha", "iga jooji", "iga jooji fariimaha",
        "ha ii soo dirin fariimo", "ha ii soo dirina fariimo", "ha ii soo dirin",
        "ha ii soo dirina",
    ),
    "am": (
        "በቃ", "መልዕክት አትላኩ", "መልእክት አትላኩ", "መልዕክት አትላኩልኝ", "መልእክት አትላኩልኝ",
        "መልዕክት መላክ አቁሙ", "መልእክት መላክ አቁሙ",
    ),
    "pa": (
        "ਬਸ ਕਰੋ", "ਮੈਸੇਜ ਬੰਦ ਕਰੋ", "ਮੈਸੇਜ ਨਾ ਭੇਜੋ", "ਮੈਨੂੰ ਮੈਸੇਜ ਨਾ ਭੇਜੋ", "ਸੁਨੇਹੇ ਨਾ ਭੇਜੋ",
        "ਸੁਨੇਹੇ ਬੰਦ ਕਰੋ",
    ),
    "km": ("ឈប់ផ្ញើសារ", "កុំផ្ញើសារ", "កុំផ្ញើសារមកខ្ញុំ", "ឈប់ផ្ញើសារមកខ្ញុំ"),
    "ar": (
        "أوقف الرسائل", "أوقفوا الرسائل", "توقفوا", "توقف عن الرسائل",
        "توقف عن إرسال الرسائل", "توقفوا عن إرسال الرسائل", "إيقاف الرسائل",
        "لا ترسل لي رسائل", "لا ترسلوا لي رسائل", "لا ترسل رسائل", "لا ترسلوا رسائل",
        "لا ترسل لي", "لا ترسلوا لي", "لا ترسلي لي رسائل", "لا أريد رسائل",
        "لا أريد رسائل بعد الآن", "لا تراسلني", "لا تراسلوني", "كفى", "كفاية",
    ),
}

MENTIONS: tuple[str, ...] = (
    # en / es
    "stop", "unsubscribe", "opt out", "optout", "revoke", "remove me", "dont text",
    "do not text", "dont message", "dont send me", "do not send me", "stop texting",
    "no more texts", "no more messages", "leave me alone", "take me off", "remove my number",
    "alto", "no mas", "no me manden", "no me envien", "no me escrib*", "darme de baja",
    "dejen de escribir*", "dejen de mandar*", "dejen de enviar*", "deja de escribir*",
    "no quiero recibir", "basta",
    # zh, ko, km: substrings (no spaces between words)
    "退订", "退訂", "停止", "수신거부", "중지", "보내지 마", "보내지마", "그만 보내",
    "그만보내", "연락하지 마", "연락하지마", "ឈប់", "កុំផ្ញើ",
    # vi ("đ" read as "d", so "dung nhan" also finds "dừng nhắn")
    "dừng lại", "ngừng", "hủy đăng ký", "đừng nhắn", "đừng gửi", "dừng nhắn", "dừng gửi",
    "không muốn nhận tin",
    # tl, so, am, pa
    "itigil", "tigil na", "tama na", "ayoko na", "jooji", "ha ii soo dirin*", "አቁም",
    "አቁሙ", "አቁሚ", "አትላኩ*", "ਰੋਕੋ", "ਨਾ ਭੇਜੋ", "ਮੈਸੇਜ ਬੰਦ", "ਸੁਨੇਹੇ ਬੰਦ",
    # ru, uk
    "отписаться", "отпишите", "стоп", "не пишите", "не присылайте", "перестаньте",
    "прекратите", "відписатися", "відпишіть", "не пишіть", "не надсилайте", "припиніть",
    # ar
    "توقف*", "أوقف*", "إيقاف", "إلغاء الاشتراك", "لا ترسل*", "لا تراسل*", "كفى",
)

MENTION_PAIRS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("不要", "别", "別", "勿", "不想", "停止", "取消", "不用再", "为什么", "為什麼", "干嘛",
         "幹嘛"),
        ("短信", "信息", "消息", "简讯", "簡訊", "訊息", "发送", "發送", "给我发", "給我發",
         "再发", "再發", "联系我", "聯絡我", "聯繫我", "打扰", "打擾"),
    ),
)

# Courtesy (and the "you" people start with) at either end of a message in a script
# without spaces ("请停止发送", "不要再发短信了"), stripped like ``keywords.COURTESY``
# words, for opt-outs only.
AFFIXES: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("请你", "請你", "请您", "請您", "请", "請", "麻烦你", "麻煩你", "麻烦", "麻煩", "拜托",
     "拜託", "求求你", "你们", "你們", "សូម"),
    ("谢谢", "謝謝", "好吗", "好嗎", "了", "吧", "啦", "呀"),
)
