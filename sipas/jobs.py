"""Background work on huey: an embedded SQLite queue by default (no server), Redis when several app servers run.

`sipas start` runs a consumer thread inside the app process; production runs `sipas jobs worker` beside
gunicorn. Exports are written under EXPORT_DIR (shared storage when there are several hosts).
"""
from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey

from sipas import recompute
from sipas.db import session_scope
from sipas.errors import SipasError, ValidationFailed
from sipas.messages import N_
from sipas.models import Job, JobStatus, User
from sipas.services import admin, audit, sampling
from sipas.services.catalog import get_agency, get_round
from sipas.services.workbook import build_workbook, report_data, restrict_to_agency
from surveys import Problem

EXTENSION_KEY = "sipas_huey"
#: Where a job keeps its message's catalogue template and values (params, and the progress file).
MESSAGE_KEY = "message_template"


def init_app(app: Flask) -> None:
    """Create the app's queue and register its tasks."""
    url = app.config.get("JOBS_URL")
    if url and url.startswith("redis"):
        huey = RedisHuey("sipas", url=url)
    else:
        path = Path(url.removeprefix("sqlite:///")) if url else Path(app.instance_path) / "jobs.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("sipas", filename=str(path))
    app.config.setdefault("EXPORT_DIR", str(Path(app.instance_path) / "exports"))

    @huey.task(name="export_report")
    def export_report(job_id: str) -> None:
        with app.app_context():
            _run_export(app, job_id)

    @huey.task(name="import_frame")
    def import_frame(job_id: str) -> None:
        with app.app_context():
            _run_frame_import(app, job_id)

    @huey.task(name="import_agencies")
    def import_agencies(job_id: str) -> None:
        with app.app_context():
            _run_agency_import(app, job_id)

    app.extensions[EXTENSION_KEY] = {"huey": huey, "export_report": export_report, "import_frame": import_frame,
                                     "import_agencies": import_agencies}
    recompute.init_app(app, huey)


def queue(app: Flask | None = None):
    """The app's huey instance."""
    return (app or current_app).extensions[EXTENSION_KEY]["huey"]


def enqueue_export(session, *, round_code: str, lang: str, with_data: bool, agency_code: str | None,
                   user_id: int | None):
    """Create the job row (the caller commits) and return (job, a function that enqueues it after commit)."""
    job = Job(id=str(uuid.uuid4()), kind="export_report", created_by_id=user_id, message="",
              params={"round": round_code, "lang": lang, "with_data": with_data, "agency": agency_code})
    session.add(job)
    session.flush()
    task = current_app.extensions[EXTENSION_KEY]["export_report"]
    return job, lambda: task(job.id)


def _enqueue_upload(session, kind: str, upload, suffix: str, user_id: int | None, params: dict):
    """Keep an uploaded file where the worker can read it (EXPORT_DIR/uploads, mode 0600, deleted after the
    import), create the job row (the caller commits); returns (job, a function that enqueues it after commit)."""
    job_id = str(uuid.uuid4())
    folder = Path(current_app.config["EXPORT_DIR"]) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind.removeprefix('import_')}-{job_id}{suffix}"
    upload.save(path)
    path.chmod(0o600)
    job = Job(id=job_id, kind=kind, created_by_id=user_id, message="", params={**params, "file": path.name})
    session.add(job)
    session.flush()
    task = current_app.extensions[EXTENSION_KEY][kind]
    return job, lambda: task(job.id)


def enqueue_frame_import(session, *, round_code: str, upload, suffix: str, stratify_by: str, user_id: int | None):
    """A dossier list (it holds contact data) loaded in the background; returns (job, start)."""
    return _enqueue_upload(session, "import_frame", upload, suffix, user_id,
                           {"round": round_code, "stratify_by": stratify_by})


def enqueue_agency_import(session, *, upload, suffix: str, user_id: int | None, ip: str | None):
    """A large agency list imported in the background (the same reader and row limit); returns (job, start)."""
    return _enqueue_upload(session, "import_agencies", upload, suffix, user_id, {"ip": ip})


def _started_upload(app: Flask, job_id: str) -> tuple[dict, Path]:
    """An upload job marked running: (its parameters, the uploaded file's path)."""
    _set(app, job_id, status=JobStatus.RUNNING, progress=1, message=N_("Reading the file"))
    with session_scope(app) as session:
        params = dict(session.get_one(Job, job_id).params)
    return params, Path(app.config["EXPORT_DIR"]) / "uploads" / params["file"]


def _run_agency_import(app: Flask, job_id: str) -> None:
    """Import agencies in one transaction (all or nothing); problems go to the job page by row."""
    params, path = _started_upload(app, job_id)
    try:
        with session_scope(app) as session:
            job = session.get_one(Job, job_id)
            report = admin.import_agencies(session, path)
            audit.record(session, "agencies_imported", actor=session.get(User, job.created_by_id)
                         if job.created_by_id else None, ip=params.get("ip"),
                         detail={"created": report.created, "updated": report.updated, "job": job_id})
        _set(app, job_id, status=JobStatus.DONE, progress=100,
             message=N_("%(created)s created, %(updated)s updated", created=report.created, updated=report.updated),
             params={**params, "created": report.created, "updated": report.updated},
             finished_at=datetime.now(timezone.utc))
    except SipasError as exc:
        _refused(app, job_id, params, exc)
    except Exception as exc:  # noqa: BLE001 - any failure must reach the person waiting, not vanish
        _failed(app, job_id, exc)
        raise
    finally:
        path.unlink(missing_ok=True)


def _run_frame_import(app: Flask, job_id: str) -> None:
    """Load a large dossier list in the background, with progress; problems go to the job page by row."""
    params, path = _started_upload(app, job_id)
    try:
        def progress(done: int, total: int) -> None:
            # Not through the database: the import holds SQLite's write lock until it commits, all or nothing.
            write_progress(app, job_id, min(99, 5 + int(94 * done / max(total, 1))),
                           N_("%(done)s of %(total)s dossiers", done=done, total=total))

        with session_scope(app) as session:
            job = session.get_one(Job, job_id)
            rnd = get_round(session, params["round"])
            n = sampling.import_frame(session, rnd, path, dossier_key=app.config["DOSSIER_HASH_KEY"],
                             stratify_by=params["stratify_by"], progress=progress)
            audit.record(session, "frame_imported", actor=session.get(User, job.created_by_id) if job.created_by_id
                         else None, object_type="round", object_id=rnd.id, detail={"rows": n, "job": job_id})
        _set(app, job_id, status=JobStatus.DONE, progress=100, message=N_("%(n)s dossiers loaded", n=n),
             params={**params, "loaded": n}, finished_at=datetime.now(timezone.utc))
    except SipasError as exc:
        _refused(app, job_id, params, exc)
    except Exception as exc:  # noqa: BLE001 - any failure must reach the person waiting, not vanish
        _failed(app, job_id, exc)
        raise
    finally:
        path.unlink(missing_ok=True)
        _progress_file(app, job_id).unlink(missing_ok=True)


def _progress_file(app: Flask, job_id: str) -> Path:
    return Path(app.config["EXPORT_DIR"]) / "uploads" / f"progress-{job_id}.json"


def write_progress(app: Flask, job_id: str, progress: int, message: str) -> None:
    """Progress of a job whose transaction is still open, in a small file beside the upload (atomic rename)."""
    target = _progress_file(app, job_id)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"progress": progress, "message": message, MESSAGE_KEY: _template(message)}))
    tmp.replace(target)


def live_progress(job) -> tuple[int, str]:
    """(progress, message) of a job: from its progress file while it runs, else from its row."""

    if job.status is JobStatus.RUNNING:
        try:
            data = json.loads(_progress_file(current_app, job.id).read_text())
            return int(data["progress"]), _message(str(data["message"]), data.get(MESSAGE_KEY))
        except (OSError, ValueError, KeyError):
            pass
    return job.progress, _message(job.message, (job.params or {}).get(MESSAGE_KEY))


def _template(message: object) -> list | None:
    # A message made with N_ keeps its catalogue template and values, so the page can say it in its language.
    return [message.msgid, message.params] if isinstance(message, Problem) else None


def _message(text: str, template: object) -> str:
    """The stored English text, as a message the page can translate when its template was kept."""
    if isinstance(template, list) and len(template) == 2 and isinstance(template[1], dict):
        return Problem(str(template[0]), **template[1])
    return text


def _set(app: Flask, job_id: str, **fields) -> None:
    with session_scope(app) as session:
        job = session.get_one(Job, job_id)
        for key, value in fields.items():
            setattr(job, key, value)
        if "message" in fields:  # the template beside the text (a new dict: the JSON column sees the change)
            job.params = {**(job.params or {}), MESSAGE_KEY: _template(fields["message"])}


def _run_export(app: Flask, job_id: str) -> None:
    """Build the workbook, reporting progress as the data sheet streams."""
    _set(app, job_id, status=JobStatus.RUNNING, progress=1, message=N_("Gathering the results"))
    try:
        with session_scope(app) as session:
            params = session.get_one(Job, job_id).params
            round_id = get_round(session, params["round"]).id
        # The job runner may compute (a request may not): a round with nothing stored yet is computed first.
        recompute.refresh_now(app, round_id)
        with session_scope(app) as session:
            rnd = get_round(session, params["round"])
            data = report_data(session, rnd, version=params.get("version"), with_data=params["with_data"])
            if params.get("agency"):
                data = restrict_to_agency(data, session, get_agency(session, params["agency"]))
            _set(app, job_id, progress=10, message=N_("Writing the workbook"))
            total = max(data.data_count, 1)

            def progress(rows_written: int) -> None:
                _set(app, job_id, progress=min(99, 10 + int(89 * rows_written / total)),
                     message=N_("%(written)s of %(total)s rows", written=rows_written, total=data.data_count))

            folder = Path(app.config["EXPORT_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            name = f"sipas-{params['round']}-{job_id[:8]}.xlsx"
            build_workbook(data, params["lang"], progress=progress if data.data_rows else None, path=folder / name)
        _set(app, job_id, status=JobStatus.DONE, progress=100, message=N_("Done"), file_name=name,
             finished_at=datetime.now(timezone.utc))
    except Exception as exc:  # noqa: BLE001 - any failure must reach the person waiting, not vanish
        _failed(app, job_id, exc)
        raise


def _refused(app: Flask, job_id: str, params: dict, exc: SipasError) -> None:
    """An import refused by its checks: nothing changed, its problems listed by row on the job page."""
    listed = exc.lines() if isinstance(exc, ValidationFailed) else []
    _set(app, job_id, status=JobStatus.FAILED, message=str(exc)[:300], params={**params, "problems": listed[:200]},
         finished_at=datetime.now(timezone.utc))


def _failed(app: Flask, job_id: str, exc: BaseException) -> None:
    """Any other failure reaches the person waiting (the worker logs it, as the caller re-raises)."""
    _set(app, job_id, status=JobStatus.FAILED, message=str(exc)[:300], finished_at=datetime.now(timezone.utc))


def start_consumer(app: Flask, workers: int = 1):
    """Run a consumer in threads of this process (the embedded default); returns it (call .stop()).

    huey's Consumer.start() installs its own SIGINT/SIGTERM/SIGHUP handlers, made for a process that is only a
    consumer; here the process is the web server, so the previous handlers are put back (Ctrl+C and SIGTERM
    must still stop `sipas start`).
    """
    names = [n for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {n: signal.getsignal(getattr(signal, n)) for n in names}
    consumer = queue(app).create_consumer(workers=workers, worker_type="thread", periodic=False, initial_delay=0.1,
                                          max_delay=1.0, check_worker_health=False)
    consumer.start()
    beat(app, consumer)
    for name, handler in previous.items():
        signal.signal(getattr(signal, name), handler)
    app.extensions[recompute.EXTENSION_KEY]["sweep"]()  # catch up on changes made while no consumer ran
    return consumer


#: Where a running consumer says it is alive, in the queue's own storage (the SQLite file or Redis that the web
#: processes and the workers share), so a page can tell "waiting for a worker" from "no worker at all".
HEARTBEAT_KEY = "sipas:worker-heartbeat"
HEARTBEAT_SECONDS = 5.0


def beat(app: Flask, consumer) -> threading.Thread:
    """Write the heartbeat now and every HEARTBEAT_SECONDS until the consumer stops (a daemon thread)."""
    huey = queue(app)

    huey.put(HEARTBEAT_KEY, time.time())  # at once: the worker is alive from the moment this returns

    def run() -> None:
        while not consumer.stop_flag.wait(HEARTBEAT_SECONDS):
            huey.put(HEARTBEAT_KEY, time.time())

    thread = threading.Thread(target=run, name="sipas-heartbeat", daemon=True)
    thread.start()
    return thread


def worker_alive(app: Flask | None = None) -> bool:
    """Whether a consumer of this app's queue beat within the last three heartbeats (`sipas start`'s embedded
    one or `sipas jobs worker`). The one check behind every "no background worker is running" message."""
    try:
        last = queue(app).get(HEARTBEAT_KEY, peek=True)
    except Exception:  # noqa: BLE001 - an unreachable queue means no worker can be seen either
        return False
    return isinstance(last, float) and time.time() - last < 3 * HEARTBEAT_SECONDS


def waits_without_worker(job, app: Flask | None = None) -> bool:
    """A queued job older than JOBS_NO_WORKER_AFTER seconds (default 10) while no worker beats: the page
    says so instead of showing "queued" for ever."""
    if job.status is not JobStatus.QUEUED:
        return False
    created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=timezone.utc)
    waited = (datetime.now(timezone.utc) - created).total_seconds()
    return waited >= (app or current_app).config.get("JOBS_NO_WORKER_AFTER", 10) and not worker_alive(app)
