"""``survey contacts purge --wave W``: remove the contact details of a closed wave's
contacts once its fieldwork is over (``survey.services.contact_removal``).

Contacts another open or draft wave may still reach (at one of its sites, or invited
to it) are kept, and counted. Answers stay,
de-identified; nothing about a contact is printed, only counts.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("contacts", help="contact lists (personal details)")
    sub = parser.add_subparsers(dest="contacts_command", metavar="WHAT", required=True)
    purge = sub.add_parser(
        "purge", help="remove the phone numbers and panel codes of a closed wave's contacts"
    )
    purge.add_argument("--wave", type=int, required=True, help="wave id (a closed wave)")
    purge.set_defaults(func=run_purge)


async def run_purge(args: argparse.Namespace) -> int:
    from survey.access import SYSTEM
    from survey.cli.common import connection, no_such_wave, settings_from_env
    from survey.services import contact_removal
    from survey.sql import Q

    settings = settings_from_env()
    async with connection(settings) as conn:
        program_id = await conn.fetchval(Q.export_wave_program, args.wave)
        if program_id is None:
            raise no_such_wave("--wave", args.wave)
        # No transaction around it: the purge commits a part at a time.
        out = await contact_removal.purge_wave(conn, SYSTEM, program_id, args.wave)
    print(
        f"purged {out.removed} contact(s) of wave {args.wave}: "
        f"{out.links_withdrawn} personal link(s) withdrawn, "
        f"{out.texts_canceled} waiting text(s) canceled"
    )
    if out.kept:
        print(f"kept {out.kept} contact(s) at a site of, or invited to, another open or"
              " draft wave")
    return 0
