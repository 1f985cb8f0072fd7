"""`speech-admin`: operator commands for tenants and API keys. Prints JSON; exits 2 on a refused request.

    speech-admin migrate
    speech-admin create-tenant --name acme [--display-name "Acme Ltd"]
    speech-admin create-key --tenant acme --name ci --scopes asr,translation [--per-minute 60] [--expires-in-days 30]
    speech-admin list-keys --tenant acme
    speech-admin revoke-key --tenant acme --key-id UUID
    speech-admin rotate-key --tenant acme --key-id UUID [--grace-hours 24]
    speech-admin webhook-secret --tenant acme
    speech-admin tenant-settings --tenant acme [--default-language hi | --no-default-language]
                                 [--audio-url-hosts media.example.com,cdn.example.com]

`tenant-settings` without options shows them. The default language is the language of the tenant's S3-drop jobs
whose object names none (docs/jobs.md); the audio URL hosts are the only hosts an https `audioUri` of the tenant
may be fetched from (empty, "": any public host passing the address checks; docs/api.md).

The webhook secret is derived from the stage's signing key and the tenant id (docs/jobs.md). In an AWS stage the
key is the stage's Secrets Manager secret: pass its ARN (stack output WebhookSigningSecretArn) as
--signing-secret-arn or WEBHOOK_SIGNING_SECRET_ARN, with AWS credentials allowed secretsmanager:GetSecretValue
on it. Without an ARN the key is WEBHOOK_SIGNING_KEY, else the local development key (the local stage).

The database is DATABASE_URL (or DATABASE_SECRET_ARN), or --database-url.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from datetime import timedelta

from speech_core.db.engine import default_database_url
from speech_core.db.migrations import upgrade_to_head
from speech_core.db.ports import TenantRepository
from speech_core.db.records import TenantRecord
from speech_core.db.repositories import get_repositories
from speech_core.errors import ErrorCode, RequestError, SpeechError
from speech_core.keys.api_key_service import ApiKeyService, get_api_key_service, utc_now
from speech_core.keys.scopes import KeyLimits, Scope
from speech_core.notify import stage_signing_key, tenant_webhook_secret
from speech_core.settings import NotifySettings, get_notify_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speech-admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")

    tenant = commands.add_parser("create-tenant", help="create a tenant")
    tenant.add_argument("--name", required=True)
    tenant.add_argument("--display-name", default=None)
    tenant.add_argument("--if-missing", action="store_true", help="succeed if it already exists")

    key = commands.add_parser("create-key", help="create an API key (printed once)")
    key.add_argument("--tenant", required=True)
    key.add_argument("--name", default="default")
    key.add_argument("--scopes", default="all", help='"all" or a comma list: ' + ",".join(Scope))
    key.add_argument("--per-minute", type=int, default=KeyLimits().per_minute)
    key.add_argument("--per-hour", type=int, default=KeyLimits().per_hour)
    key.add_argument("--per-day", type=int, default=KeyLimits().per_day)
    key.add_argument("--expires-in-days", type=float, default=None)

    listing = commands.add_parser("list-keys", help="list a tenant's keys (no secrets)")
    listing.add_argument("--tenant", required=True)

    for name in ("revoke-key", "rotate-key"):
        sub = commands.add_parser(name, help=name.replace("-", " "))
        sub.add_argument("--tenant", required=True)
        sub.add_argument("--key-id", required=True, type=uuid.UUID)
        if name == "rotate-key":
            sub.add_argument("--grace-hours", type=float, default=0.0)

    secret = commands.add_parser("webhook-secret", help="show the secret a tenant's webhooks are signed with")
    secret.add_argument("--tenant", required=True)
    secret.add_argument(
        "--signing-secret-arn",
        default=None,
        help="the stage's signing key secret (stack output WebhookSigningSecretArn); "
        "default: WEBHOOK_SIGNING_SECRET_ARN, else WEBHOOK_SIGNING_KEY",
    )

    settings = commands.add_parser("tenant-settings", help="show or set a tenant's settings")
    settings.add_argument("--tenant", required=True)
    language = settings.add_mutually_exclusive_group()
    language.add_argument("--default-language", default=None, help="e.g. hi, en, ta (ISO 639)")
    language.add_argument("--no-default-language", action="store_true", help="use the platform default")
    settings.add_argument(
        "--audio-url-hosts",
        default=None,
        help='comma list of host names (*.example.com: any name below it); "" for any public host',
    )
    return parser


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def _parse_hosts(text: str) -> list[str]:
    """Bare host names; `*.example.com` allows every name below example.com (speech_core.outbound.audio_link)."""
    hosts = [host.strip().lower().rstrip(".") for host in text.split(",") if host.strip()]
    bad = [host for host in hosts if not _HOST.match(host.removeprefix("*."))]
    if bad:
        raise RequestError(ErrorCode.REQUEST_INVALID, f"not host names (no scheme, port or path): {bad}")
    return sorted(set(hosts))


def _tenant_settings(args: argparse.Namespace, tenant: TenantRecord, tenants: TenantRepository) -> object:
    if args.default_language is None and not args.no_default_language and args.audio_url_hosts is None:
        return _settings_view(tenant)
    if args.default_language is not None and not _LANGUAGE.match(args.default_language):
        raise RequestError(ErrorCode.REQUEST_INVALID, f"not a language code: {args.default_language!r}")
    default_language = tenant.default_language
    if args.no_default_language:
        default_language = None
    elif args.default_language is not None:
        default_language = args.default_language
    hosts = tenant.audio_url_allowed_hosts if args.audio_url_hosts is None else _parse_hosts(args.audio_url_hosts)
    tenants.update_settings(tenant.id, default_language=default_language, audio_url_allowed_hosts=hosts)
    updated = tenants.get(tenant.id)
    assert updated is not None
    return _settings_view(updated)


def _settings_view(tenant: TenantRecord) -> dict[str, object]:
    return {
        "tenant": tenant.name,
        "defaultLanguage": tenant.default_language,
        "audioUrlAllowedHosts": tenant.audio_url_allowed_hosts,
    }


def _run(args: argparse.Namespace) -> object:
    url = args.database_url or default_database_url()
    if args.command == "migrate":
        upgrade_to_head(url)
        return {"migrated": True}
    tenants = get_repositories(url).tenants
    if args.command == "create-tenant":
        existing = tenants.get_by_name(args.name)
        if existing is not None and args.if_missing:
            return existing.model_dump(mode="json")
        return tenants.create(args.name, args.display_name or args.name).model_dump(mode="json")

    tenant = tenants.get_by_name(args.tenant)
    if tenant is None:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"tenant {args.tenant!r} does not exist")
    if args.command == "tenant-settings":
        return _tenant_settings(args, tenant, tenants)
    if args.command == "webhook-secret":
        return _webhook_secret(tenant.id, tenant.name, args.signing_secret_arn)
    service: ApiKeyService = get_api_key_service(url)
    if args.command == "create-key":
        expires = utc_now() + timedelta(days=args.expires_in_days) if args.expires_in_days else None
        limits = KeyLimits(per_minute=args.per_minute, per_hour=args.per_hour, per_day=args.per_day)
        created = service.create_key(
            tenant.id, args.name, Scope.parse_list(args.scopes), limits=limits, expires_at=expires
        )
        return {"apiKey": created.plaintext, "key": created.key.model_dump(mode="json")}
    if args.command == "list-keys":
        return [view.model_dump(mode="json") for view in service.list_keys(tenant.id)]
    if args.command == "revoke-key":
        return service.revoke_key(tenant.id, args.key_id).model_dump(mode="json")
    created = service.rotate_key(tenant.id, args.key_id, grace=timedelta(hours=args.grace_hours))
    return {"apiKey": created.plaintext, "key": created.key.model_dump(mode="json")}


def _webhook_secret(tenant_id: uuid.UUID, tenant_name: str, signing_secret_arn: str | None) -> dict[str, object]:
    """The tenant's secret, from the same key the record function signs with (see the module docstring)."""
    settings = get_notify_settings()
    if signing_secret_arn:
        settings = NotifySettings(webhook_signing_secret_arn=signing_secret_arn)
    answer: dict[str, object] = {
        "tenant": tenant_name,
        "tenantId": str(tenant_id),
        "webhookSecret": tenant_webhook_secret(stage_signing_key(settings), tenant_id),
        "signature": "Standard Webhooks v1: HMAC-SHA256 over '<webhook-id>.<webhook-timestamp>.<body>'",
    }
    if settings.webhook_signing_secret_arn:
        answer["keySource"] = settings.webhook_signing_secret_arn
    elif "WEBHOOK_SIGNING_KEY" in os.environ:
        answer["keySource"] = "WEBHOOK_SIGNING_KEY"
    else:
        answer["keySource"] = "local development key"
        answer["warning"] = (
            "neither WEBHOOK_SIGNING_SECRET_ARN nor WEBHOOK_SIGNING_KEY is set: this is the local development "
            "key's secret (an AWS stage's key is its secret: --signing-secret-arn)"
        )
    return answer


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = _run(args)
    except SpeechError as error:
        print(json.dumps(error.error_body()), file=sys.stderr)
        return 2
    except ValueError as error:  # e.g. an unknown scope name
        print(json.dumps({"error": {"code": ErrorCode.REQUEST_INVALID.value, "message": str(error)}}), file=sys.stderr)
        return 2
    except Exception as error:  # e.g. Secrets Manager refusing the signing secret (botocore's ClientError)
        if type(error).__module__.split(".")[0] not in {"botocore", "boto3"}:
            raise
        print(json.dumps({"error": {"code": "aws.call_failed", "message": str(error)}}), file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
