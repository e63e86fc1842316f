"""A failed step notifies: always in the run log, and by webhook when STV_ALERT_WEBHOOK is set."""

import json
import urllib.request

import dagster as dg

WEBHOOK_TIMEOUT_SECONDS = 10


def post_alert(webhook: str, payload: dict) -> None:
    request = urllib.request.Request(
        webhook,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS):
        pass


@dg.failure_hook(required_resource_keys={"settings"})
def notify_on_failure(context: dg.HookContext) -> None:
    """Runs for every failed step, in `stv run` and in runs the daemon starts; a failing ERROR
    check is a failed step too."""
    error = context.op_exception
    message = f"STV run {context.run_id}: step {context.op.name} failed: {error}"
    context.log.error(message)
    webhook = context.resources.settings.alert_webhook
    if not webhook:
        return
    try:
        post_alert(webhook, {"text": message, "run_id": context.run_id, "step": context.op.name})
    except OSError as exc:  # a broken webhook must not hide the failure it reports
        context.log.warning(f"could not notify {webhook}: {exc}")
