"""Every page a person can open is valid HTML, by the Nu Html Checker (vnu.jar, on Java).

The pages are the role × URL matrix's own (``test_role_url_matrix.MATRIX``): each URL outside
the admin that some persona may GET, as the first persona allowed in sees it, over the world's
cases (scheduled, in progress with implants, ready, signed out). Plus the checklist of every
case of the world, since each state draws different rows, the public pages, and the read-aloud
Time Out of a seeded procedure (the world's procedure has none). The nurse holds
an emergency-access grant to the ready case, so each of her pages carries the banner and
her view of its record is checked too, as is the 403 page that offers the grant (the scrub's).
The admin's pages are Django's own and left out. All documents go to one run of the checker.

The checker comes from the npm package ``vnu-jar`` (pinned in package.json; ``make test`` and
``.ci/run`` install it). A machine without it or without Java fails here, with the reason: a
validity check that silently skipped would say nothing.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from django.test import Client
from django.urls import reverse

from accounts import devices
from accounts.models import Room
from checklists import workflow
from procedures.choices import Phase, StepKind
from procedures.models import Procedure
from review import emergency
from tests.conftest import make_case, record_phase
from tests.security.conftest import World
from tests.security.test_role_url_matrix import GET_HEAD, ROWS, client_for, is_admin, url_for

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = Path(os.environ.get("VNU_JAR", ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"))


def page_urls(world: World) -> list[tuple[str, str, int]]:
    """(persona, url, status) for every page: a GET row's first column that gets a 200, and
    the pages of emergency access (see the module's docstring)."""
    wanted = []
    for row in ROWS:
        if row.method != GET_HEAD or is_admin(row.name):
            continue
        column = next((c for c, status in row.expected.items() if status == 200), None)
        if column is not None:
            wanted += [(column, url, 200) for url in url_for(row.name, world)]
    for case in (world.scheduled, world.in_progress, world.ready, world.completed):
        wanted.append(("nurse", reverse("case-detail", args=[case.pk]), 200))
        wanted.append(("reviewer", reverse("review:record", args=[case.pk]), 200))
    granted, closed = (
        reverse("review:record", args=[c.pk]) for c in (world.ready, world.completed)
    )
    wanted += [("nurse", granted, 200), ("scrub", closed, 403)]
    # The recall look-up with its results (the device scanned on the other case).
    wanted.append(("reviewer", f"{reverse('review:recalls')}?gtin={world.other_implant.gtin}", 200))
    return sorted(set(wanted))


def test_every_page_is_valid_html(world, tmp_path):
    java = shutil.which("java")
    assert java, "Java is needed for the Nu Html Checker (Debian: default-jre-headless)"
    assert VNU_JAR.exists(), f"{VNU_JAR} is missing: run `npm ci --ignore-scripts` (make test does)"
    emergency.grant(user=world.nurse, case_id=world.ready.pk, reason="Back in theatre")
    clients: dict[str, Client] = {}
    documents = []
    for number, (persona, url, status) in enumerate(page_urls(world)):
        client = clients.setdefault(persona, client_for(world, persona))
        response = client.get(url)
        assert response.status_code == status, f"{url} as {persona}: {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            continue  # the CSV export
        path = tmp_path / f"{number:03d}.html"
        path.write_bytes(response.content)
        documents.append((path, f"{url} as {persona}"))
    # The read-aloud Time Out of a case whose checklist has one (the world's has none): its
    # first item, the side seen on the images (Left, Right, Both), and the ending's form.
    for url in read_aloud_urls(world):
        response = clients.setdefault("nurse", client_for(world, "nurse")).get(url)
        assert response.status_code == 200, f"{url} as the nurse: {response.status_code}"
        path = tmp_path / f"read-aloud-{len(documents)}.html"
        path.write_bytes(response.content)
        documents.append((path, f"{url} as the nurse"))
    # A room's wall display, enrolled with its one-time code: the room of the case in progress.
    room = Room.objects.get(name=world.in_progress.room)
    _, code = devices.new_pairing(room=room, name="Wall", by=world.administrator)
    display = Client()
    display.post(reverse("wall-pair"), {"code": code})
    for url in (
        reverse("wall-display", args=[room.pk]),
        reverse("wall-display-live", args=[room.pk]),
    ):
        response = display.get(url)
        assert response.status_code == 200, f"{url} as the display: {response.status_code}"
        path = tmp_path / f"wall-{len(documents)}.html"
        # The poll's answer is a fragment: checked inside a page of its own.
        body = (
            response.content if b"<html" in response.content else _fragment_page(response.content)
        )
        path.write_bytes(body)
        documents.append((path, f"{url} as the room's wall display"))
    assert len(documents) >= 15, [label for _, label in documents]
    with_banner = [label for path, label in documents if b"emergency-banner" in path.read_bytes()]
    assert len(with_banner) >= 5, "the nurse's pages should carry the emergency-access banner"

    checked = subprocess.run(  # noqa: S603 (our own arguments)
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--exit-zero-always"]
        + [str(path) for path, _ in documents],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    labels = {path.name: label for path, label in documents}
    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    problems = [
        f"{labels.get(Path(m.get('url', '')).name, m.get('url'))}, line {m.get('lastLine')}: "
        f"{m['message']}"
        for m in messages
    ]
    assert not problems, "\n".join(problems)


def read_aloud_urls(world: World) -> list[str]:
    """The read-aloud page of a seeded fusion's Time Out, started after its Sign In: at its
    first item, at the side seen on the images, and at the ending."""
    case = make_case(
        Procedure.objects.get(slug="si-fusion-minimally-invasive"),
        actor=world.nurse,
        surgeon=world.surgeon,
        laterality="left",
        room="OR 7",
    )
    record_phase(case, Phase.SIGN_IN, world.nurse)
    record_phase(case, Phase.INDUCTION, world.nurse)
    time_out = workflow.start_time_out(actor=world.nurse, case_id=case.pk)
    items = list(case.steps.filter(phase=Phase.TIME_OUT).order_by("position"))
    side_seen = next(i for i, step in enumerate(items) if step.kind == StepKind.SIDE)
    url = reverse("time-out", args=[case.pk, time_out.pk])
    return [url, f"{url}?item={side_seen}", f"{url}?item={len(items)}"]


def _fragment_page(fragment: bytes) -> bytes:
    return (
        b'<!doctype html><html lang="en"><head><title>x</title></head><body>'
        + fragment
        + b"</body></html>"
    )
