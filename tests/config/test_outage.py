"""A database that cannot be reached (SECURITY.md case 18): every request answers a fast 503
page with Retry-After, from whichever layer noticed, and the pool recovers by itself."""

import logging
import socket
import threading
import time
from contextlib import contextmanager, suppress
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from config.middleware import RETRY_AFTER_SECONDS, database_unavailable

pytestmark = pytest.mark.django_db

HEADING = "Opfølgning er midlertidigt utilgængelig"


@contextmanager
def database_down():
    """Every new query fails as with PostgreSQL stopped (the pool gives up)."""
    error = OperationalError("couldn't get a connection after 1.50 sec")
    with mock.patch.object(connections["default"], "ensure_connection", side_effect=error):
        yield


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert HEADING in html
    assert "Vi kan ikke få forbindelse til databasen" in html
    assert '<html lang="da">' in html
    for leak in ("Traceback", "OperationalError", "couldn't get a connection"):
        assert leak not in html


def _requests(plan):
    followup = plan.followup
    edit = reverse("followups:edit", args=[followup.pk])
    save = {"version": followup.version, "action": "- Ny handling", "responsible": "Team"}
    year = plan.report.year
    return {
        "page": ("get", reverse("home"), {}, {}),
        "followup page": ("get", followup.get_absolute_url(), {}, {}),
        "save (POST)": ("post", edit, save, {}),
        "htmx form": ("get", edit, {}, {"HX-Request": "true"}),
        "htmx save": ("post", edit, save, {"HX-Request": "true"}),
        "PDF download": ("get", reverse("reports:pdf", args=[year]), {}, {}),
        "PDF progress": (
            "get",
            reverse("reports:pdf_status", args=[year, "abc"]),
            {},
            {"HX-Request": "true"},
        ),
        "logout": ("post", reverse("logout"), {}, {}),
    }


REQUEST_KINDS = [
    "page",
    "followup page",
    "save (POST)",
    "htmx form",
    "htmx save",
    "PDF download",
    "PDF progress",
    "logout",
]


@pytest.mark.parametrize("kind", REQUEST_KINDS)
def test_every_request_of_a_logged_in_user_answers_503_then_200(kind, plan, officer, caplog):
    client = Client()
    client.force_login(officer)
    method, url, data, headers = _requests(plan)[kind]
    with database_down(), caplog.at_level(logging.INFO):
        response = getattr(client, method)(url, data, headers=headers)
    assert_unavailable_page(response)
    lines = [r for r in caplog.records if "database_unavailable" in r.getMessage()]
    assert len(lines) == 1 and lines[0].name == "opfoelgning.security"
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback
    # The database is back: the next request is served.
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/konto/login/", {}),
        ("post", "/konto/login/", {"username": "anna", "password": "pw"}),
        ("get", "/", {}),
        ("get", "/oversigt/opfoelgninger/", {}),
    ],
)
def test_anonymous_requests_and_the_login_answer_503(method, url, data):
    # The login page itself reads nothing from the database for an anonymous visitor;
    # it answers 503 too, so nobody types a password into a form that cannot work.
    with database_down():
        response = getattr(Client(), method)(url, data)
    assert_unavailable_page(response)
    assert Client().get("/konto/login/").status_code == 200


def test_the_page_follows_the_chosen_language(officer):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with database_down():
        response = client.get("/konto/login/")
    assert response.status_code == 503
    assert "Opfølgning is temporarily unavailable" in response.content.decode()


def _raising_in(path: str, phase: str):
    """The middleware at `path`, in its place, raising a lost connection on the way in or
    on the way out."""
    original = import_string(path)

    def factory(get_response):
        inner = original(get_response)

        def middleware(request):
            if phase == "response":
                inner(request)
            raise OperationalError("server closed the connection unexpectedly")

        return middleware

    return mock.patch(path, factory)


@pytest.mark.parametrize("phase", ["request", "response"])
@pytest.mark.parametrize("path", settings.MIDDLEWARE)
def test_a_database_error_in_any_middleware_layer_answers_503(path, phase, officer, caplog):
    # Django turns an exception into a response at the layer that raised it, before an
    # outer middleware sees it; handler500 (config.views.server_error) answers for all.
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    with _raising_in(path, phase), caplog.at_level(logging.INFO):
        response = client.get(reverse("home"))
    assert_unavailable_page(response)
    assert all(r.exc_info is None for r in caplog.records)


def test_a_session_lost_mid_request_is_asked_for_once(plan, officer):
    """The session (and with it the user) cannot be read: one attempt, one wait for the
    pool, not one more in each response phase (NoStoreForAuthenticated, SlidingSession)."""
    from django.contrib.sessions.backends.db import SessionStore

    client = Client(raise_request_exception=False)
    client.force_login(officer)
    error = OperationalError("server closed the connection unexpectedly")
    for method, url in [("get", reverse("home")), ("post", plan.followup.get_absolute_url())]:
        with mock.patch.object(SessionStore, "load", side_effect=error) as load:
            response = getattr(client, method)(url)
        assert_unavailable_page(response)
        assert load.call_count == 1, method


def test_read_only_roles_middleware_losing_the_database_answers_503(plan, officer):
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    error = OperationalError("terminating connection due to administrator command")
    with mock.patch("config.middleware.access_for", side_effect=error):
        response = client.post(reverse("followups:submit", args=[plan.followup.pk]))
    assert_unavailable_page(response)


def test_login_with_axes_losing_the_database_answers_503(officer):
    from axes.handlers.proxy import AxesProxyHandler

    error = OperationalError("server closed the connection unexpectedly")
    client = Client(raise_request_exception=False)
    with mock.patch.object(AxesProxyHandler, "is_allowed", side_effect=error):
        response = client.post("/konto/login/", {"username": officer.username, "password": "pw"})
    assert_unavailable_page(response)


def test_pdf_views_losing_the_database_answer_503(plan, officer):
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    year = plan.report.year
    error = OperationalError("server closed the connection unexpectedly")
    with mock.patch("reports.views.get_object_or_404", side_effect=error):
        download = client.get(reverse("reports:pdf", args=[year]))
        status = client.get(
            reverse("reports:pdf_status", args=[year, "abc"]), headers={"HX-Request": "true"}
        )
    assert_unavailable_page(download)
    assert_unavailable_page(status)


def test_a_database_error_turned_into_404_answers_503(secretariat):
    """The import's progress view turns any lookup error into 404 (`raise Http404 from
    exc`); handler404 (config.views.page_not_found) sees the database error behind it."""
    from importing.views import JOBS_KEY

    client = Client(raise_request_exception=False)
    client.force_login(secretariat)
    session = client.session
    session[JOBS_KEY] = {"abc": "token"}
    session.save()
    task = mock.Mock()
    task.get_result.side_effect = OperationalError("server closed the connection unexpectedly")
    with mock.patch("importing.views.import_staged_document", task):
        response = client.get(
            reverse("importing:job", args=["abc"]), headers={"HX-Request": "true"}
        )
    assert_unavailable_page(response)
    task.get_result.side_effect = LookupError("no such task")
    with mock.patch("importing.views.import_staged_document", task):
        assert client.get(reverse("importing:job", args=["abc"])).status_code == 404


def test_other_errors_stay_500_and_404(plan, officer):
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    with mock.patch("config.views._my_tasks", side_effect=ValueError("bug")):
        assert client.get(reverse("home")).status_code == 500
    assert client.get(reverse("followups:detail", args=[10**9])).status_code == 404


def test_pool_timeout_and_wrapped_errors_count_as_unavailable():
    from psycopg_pool import PoolTimeout

    assert database_unavailable(PoolTimeout("couldn't get a connection after 1.50 sec"))
    try:
        try:
            raise OperationalError("connection refused")
        except OperationalError as exc:
            raise LookupError("not found") from exc
    except LookupError as wrapped:
        assert database_unavailable(wrapped)
    assert not database_unavailable(ValueError("bug"))
    assert not database_unavailable(None)


class _Proxy:
    """A TCP port that refuses connections until start(), then forwards to PostgreSQL."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False

    def start(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.sockets.append(self.server)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.server.accept()
            except OSError:
                return
            with self.lock:
                if self.closed:  # accepted while closing: no session may outlive the test
                    client.close()
                    return
                upstream = socket.create_connection(self.target)
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        # shutdown() before close(): a socket another thread is blocked reading stays open
        # after a mere close() on Linux, and PostgreSQL would keep that session (the test
        # database could then not be dropped at the end of the run).
        with self.lock:
            self.closed = True
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            # The listening socket, or one the other side has closed, cannot be shut down.
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.mark.postgres
def test_the_production_pool_serves_the_first_request_after_the_database_is_back(monkeypatch):
    """With the production pool options (config.settings.base.database_from_env): while the
    server is unreachable a connection fails within the pool's timeout; once it is back,
    the next request gets a connection at once, although the pool had been retrying."""
    from django.db.utils import ConnectionHandler

    from config.settings.base import database_from_env

    db = connections["default"].settings_dict
    proxy = _Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@127.0.0.1:{proxy.port}/{db['NAME']}"
    monkeypatch.setenv("DATABASE_URL", url)
    handler = ConnectionHandler({"default": {}, "outage": database_from_env(pool=True)})
    conn = handler["outage"]
    started = time.monotonic()
    try:
        for _attempt in range(2):  # the pool starts retrying in the background
            t0 = time.monotonic()
            with pytest.raises(OperationalError) as error:
                conn.ensure_connection()
            assert database_unavailable(error.value)
            assert time.monotonic() - t0 < 2.0
        time.sleep(max(0.0, started + 3.6 - time.monotonic()))
        proxy.start()  # the database is back
        t0 = time.monotonic()
        conn.ensure_connection()
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert time.monotonic() - t0 < 1.5
    finally:
        conn.close()
        conn.close_pool()
        proxy.close()
