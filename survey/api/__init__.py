"""The JSON API (``/api/v1``) and operational endpoints. Handlers stay thin:
parse, call a service, return a Struct."""
