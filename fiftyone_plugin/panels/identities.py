"""The Identities panel: every identity of a clustering run as a card (its sharpest face,
name, tracks, faces, screen time, videos), its clips, and the corrections (rename, merge,
split, not a face, undo) and review questions of :mod:`fiftyone_plugin.api`.

A thin adapter: what it shows comes from :mod:`fiftyone_plugin.api.gallery`, what it
changes goes through :mod:`fiftyone_plugin.api.corrections`. Face crops travel as small
JPEG data URLs in the panel's data (not its state, which the App sends back on each event).
"""
from __future__ import annotations

import base64

import cv2
import fiftyone.operators as foo
import fiftyone.operators.types as types

from .. import api, fo_io
from ..clustering.corrections import NOT_A_FACE
from .scheduled import ACTIVE, ago, no_worker, scheduled_runs

SORTS = {"faces": "Most faces", "seconds": "Most screen time", "tracks": "Most tracks",
         "name": "Name"}
QUESTIONS = 3  # review questions shown at a time
POLL_MS = 5000  # while a scheduled run is queued or running
TRACKS_SHOWN = 48  # an opened identity shows its longest tracks (a season's star has 1000s)


def data_url(rgb) -> str:
    _, jpg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(jpg.tobytes()).decode()


class IdentitiesPanel(foo.Panel):
    """Browse, name and correct the identities of a clustering run."""

    @property
    def config(self):
        return foo.PanelConfig(
            name="identities", label="Identities", icon="face",
            help_markdown="The identities of a clustering run (`cluster_faces` or "
                          "`find_identities`): open one to see its tracks, rename it, merge "
                          "it with another, split a track off; corrections are kept through "
                          "every later clustering under the same run key.")

    # --- events -------------------------------------------------------------------------
    def on_load(self, ctx):
        runs = api.corrections.clustering_runs(ctx.dataset)
        key = ctx.panel.state.run_key
        ctx.panel.state.run_key = key if key in runs else (
            api.DEFAULT_RUN_KEY if api.DEFAULT_RUN_KEY in runs else (runs or [None])[0])
        ctx.panel.state.opened = None
        ctx.panel.state.message = None
        self._load(ctx)
        ctx.panel.state.scheduled = scheduled_runs(ctx.dataset) if ctx.dataset else []

    def refresh(self, ctx):
        self.on_load(ctx)

    def poll(self, ctx):
        """While scheduled runs are active: when one ends, show how, and reload the App
        and the identities when it worked."""
        before = {r["id"]: r["state"] for r in ctx.panel.state.scheduled or []}
        rows = scheduled_runs(ctx.dataset)
        ctx.panel.state.scheduled = rows
        ended = [r for r in rows if before.get(r["id"]) in ACTIVE and r["state"] not in ACTIVE]
        for r in ended:
            if r["state"] == "failed":
                ctx.ops.notify(f"{r['operator']} failed: {r['error']}", variant="error")
            else:
                ctx.ops.notify(f"{r['operator']} {r['state']}", variant="success")
        if any(r["state"] == "completed" for r in ended):
            self.on_load(ctx)
            ctx.ops.reload_dataset()

    def on_change_dataset(self, ctx):
        ctx.panel.state.run_key = None
        self.on_load(ctx)

    def choose_run(self, ctx):
        ctx.panel.state.run_key = ctx.params.get("value")
        ctx.panel.state.opened = None
        self._load(ctx)

    def refilter(self, ctx):
        pass  # the search text and sort order are in the state this event carries

    def open_identity(self, ctx):
        ctx.panel.state.opened = ctx.params.get("identity")
        ctx.panel.state.message = None
        self._load(ctx)

    def close_identity(self, ctx):
        ctx.panel.state.opened = None
        self._load(ctx)

    def show_clips(self, ctx):
        identity = ctx.params.get("identity") or ctx.panel.state.opened
        ctx.ops.set_view(api.identity_clips(ctx.dataset, identity, self._key(ctx)))

    def show_all(self, ctx):
        ctx.ops.clear_view()

    def show_map(self, ctx):
        """Map the run's tracks, show one clip per track and the Embeddings panel beside."""
        try:
            done = api.map_tracks(ctx.dataset, self._key(ctx))
        except ValueError as e:  # e.g. its field is a user's own
            ctx.panel.state.message = str(e)
            return
        ctx.panel.state.map = dict(brain_key=done["brain_key"], view=done["view"],
                                   field=done["field"])
        ctx.ops.set_view(ctx.dataset.load_saved_view(done["view"]))
        ctx.ops.notify(f"One point per track, in the identities' colours: select some to show "
                       f"their clips (the Embeddings panel has it too, as {done['brain_key']!r})",
                       variant="info")

    def select_on_map(self, ctx):
        """The tracks selected on the map (box or lasso) become the grid's clips."""
        ids = [p["id"] for p in ctx.params.get("data") or [] if p.get("id")]
        if not ids:
            # Plotly also sends an empty selection when it redraws the map after a
            # selection (seen in the browser, half a second later), which would undo the
            # user's choice; *Track map* shows every track again
            return
        view = ctx.dataset.load_saved_view(ctx.panel.state.map["view"])
        ctx.ops.set_view(view.select(ids))

    def hide_map(self, ctx):
        ctx.panel.state.map = None

    # inputs keep their values in the panel state at their layout path ("edit.new_name"):
    # each event carries the whole state, so a click sees every keystroke before it
    def rename(self, ctx):
        self._correct(ctx, api.rename_identity, ctx.panel.state.opened,
                      ctx.panel.state.get("edit.new_name") or "")

    def merge(self, ctx):
        other = ctx.panel.state.get("edit.merge_with")
        if not other:
            ctx.panel.state.message = "choose an identity to merge with first"
            return
        self._correct(ctx, api.merge_identities, [ctx.panel.state.opened, other])

    def split_track(self, ctx):
        self._correct(ctx, api.move_track, ctx.params["sample_id"], int(ctx.params["track"]))

    def not_a_face(self, ctx):
        self._correct(ctx, api.mark_not_face, ctx.params["sample_id"],
                      int(ctx.params["track"]))

    def undo(self, ctx):
        self._correct(ctx, api.undo_correction)

    def start_review(self, ctx):
        ctx.panel.state.review = True
        self._load(ctx)

    def answer(self, ctx):
        self._correct(ctx, api.answer_question, ctx.params["a"], ctx.params["b"],
                      bool(ctx.params["same"]))

    # --- helpers ------------------------------------------------------------------------
    def _key(self, ctx) -> str:
        return ctx.panel.state.run_key or api.DEFAULT_RUN_KEY

    def _correct(self, ctx, fn, *args) -> None:
        """Apply a correction; its error (a refused merge, a bad name) shows in the panel."""
        try:
            fn(ctx.dataset, *args, run_key=self._key(ctx))
            ctx.panel.state.message = None
        except ValueError as e:
            ctx.panel.state.message = str(e)
            return
        if fn is api.merge_identities or fn is api.answer_question:
            ctx.panel.state.opened = None
        ctx.panel.state.set("edit", {})
        self._load(ctx)
        ctx.ops.reload_dataset()

    def _load(self, ctx) -> None:
        """Read the run's identities (and the opened one's tracks) into state, their faces
        into data; what stops it (no face store: a clone) shows in the panel."""
        try:
            self._read(ctx)
        except (ValueError, FileNotFoundError) as e:
            ctx.panel.state.identities, ctx.panel.state.opened = [], None
            ctx.panel.state.message = str(e)

    def _read(self, ctx) -> None:
        key = ctx.panel.state.run_key
        if ctx.dataset is None or key is None:
            ctx.panel.state.identities = []
            return
        rows = api.list_identities(ctx.dataset, key)
        ids = {r["id"] for r in rows}
        if ctx.panel.state.opened not in ids:
            ctx.panel.state.opened = None
        faces = {f"cards.{r['id']}.face": tuple(r["best"]) for r in rows}
        ctx.panel.state.identities = [{k: v for k, v in r.items() if k != "best"}
                                      for r in rows]
        ctx.panel.state.corrections = len(api.corrections.run_log(ctx.dataset, key))
        opened = ctx.panel.state.opened
        if opened:
            tracks = api.identity_tracks(ctx.dataset, opened, key)
            ctx.panel.state.more_tracks = max(0, len(tracks) - TRACKS_SHOWN)
            tracks = tracks[:TRACKS_SHOWN]
            ctx.panel.state.tracks = tracks
            faces.update({f"detail.t{n}.face": (t["sample_id"], t["best"])
                          for n, t in enumerate(tracks)})
            ctx.panel.state.questions = []
        elif ctx.panel.state.review:  # on demand: a pass over every track's embeddings
            questions = api.review_questions(ctx.dataset, key, k=QUESTIONS)
            ctx.panel.state.questions = questions
            shown = [tuple(q[f"{side}_track"]) for q in questions for side in "ab"]
            facts = api.gallery.track_facts(ctx.dataset, sorted({s for s, _ in shown}))
            faces.update({f"review.q{n}.{side}": (sid, facts[(sid, t)].best_row)
                          for n, q in enumerate(questions) for side in "ab"
                          for sid, t in [tuple(q[f"{side}_track"])]})
        crops = api.face_crops(ctx.dataset, list(faces.values()))
        images = {path: data_url(crop) for path, crop in zip(faces, crops)}
        ctx.panel.data.set(images)

    # --- layout -------------------------------------------------------------------------
    def render(self, ctx):
        panel = types.Object()
        runs = api.corrections.clustering_runs(ctx.dataset)
        if not runs:
            panel.md("No clustering run yet: run **find_identities** or **cluster_faces** "
                     "(or `vfc run`).", name="empty")
            panel.btn("refresh", label="Refresh", variant="outlined", on_click=self.refresh)
            self._scheduled(panel, ctx)
            return types.Property(panel, view=types.GridView(orientation="vertical"))
        self._header(panel, ctx, runs)
        self._scheduled(panel, ctx)
        if ctx.panel.state.message:
            panel.view("error_box", types.Error(label=ctx.panel.state.message))
        if ctx.panel.state.map:
            self._map(panel, ctx)
        if ctx.panel.state.opened:
            self._detail(panel, ctx)
        else:
            self._cards(panel, ctx)
            self._review(panel, ctx)
        return types.Property(panel, view=types.GridView(orientation="vertical", gap=2))

    def _header(self, panel, ctx, runs) -> None:
        bar = panel.h_stack("bar", align_y="center", gap=2)
        choices = types.Dropdown(label="Clustering run")
        for k in runs:
            choices.add_choice(k, label=k)
        bar.enum("run_key", choices.values(), default=ctx.panel.state.run_key, view=choices,
                 on_change=self.choose_run)
        rows = ctx.panel.state.identities or []
        bar.md(f"**{sum(r['id'] != NOT_A_FACE for r in rows)} identities**",
               name="count")
        bar.btn("undo", label="Undo last correction", icon="undo", variant="outlined",
                disabled=not ctx.panel.state.corrections, on_click=self.undo)
        bar.btn("all", label="Show all videos", variant="outlined", on_click=self.show_all)
        bar.btn("map", label="Track map", icon="scatter_plot", variant="outlined",
                on_click=self.show_map)
        bar.btn("refresh", label="Refresh", variant="outlined", on_click=self.refresh)

    def _scheduled(self, panel, ctx) -> None:
        """The plugin's recent scheduled runs; polled while one is queued or running."""
        rows = ctx.panel.state.scheduled or []
        if not rows:
            return
        if any(r["state"] in ACTIVE for r in rows):
            panel.view("poll", types.TimerView(interval=POLL_MS, on_interval=self.poll))
        if no_worker(rows):
            panel.view("no_worker", types.Warning(
                label="Scheduled runs are waiting and no worker has started them",
                description="Start one in a terminal: `fiftyone delegated launch` (or run "
                            "`fiftyone delegated list` to see the queue)."))
        latest = {}
        for r in rows:  # newest first
            latest.setdefault(r["operator"], r)
        for n, r in enumerate(r for r in latest.values() if r["state"] == "failed"):
            panel.view(f"failed{n}", types.Error(
                label=f"Scheduled {r['operator']} failed ({ago(r['age_s'])})",
                description=r["error"] or "see `fiftyone delegated list`"))
        lines = [f"- **{r['operator']}**: {r['state']}, queued {ago(r['age_s'])}"
                 + (f"  \n  `{r['error']}`" if r["error"] else "") for r in rows]
        panel.md("#### Scheduled runs\n" + "\n".join(lines), name="scheduled_list")

    def _cards(self, panel, ctx) -> None:
        tools = panel.h_stack("tools", gap=2)
        tools.str("search", label="Search names", on_change=self.refilter)
        sorts = types.Dropdown(label="Sort by")
        for k, label in SORTS.items():
            sorts.add_choice(k, label=label)
        tools.enum("sort", sorts.values(), default="faces", view=sorts,
                   on_change=self.refilter)
        cards = panel.grid("cards", gap=2)
        for r in self._shown(ctx):
            card = cards.v_stack(r["id"], variant="outline", gap=1, width="190px")
            card.img("face", height="112px", width="112px", alt_text=r["id"],
                     on_click=self.open_identity, params={"identity": r["id"]})
            title = f"**{r['name']}** ({r['id']})" if r["name"] else f"**{r['id']}**"
            card.md(f"{title}  \n{_count(r['tracks'], 'track')} · {r['faces']} faces  \n"
                    f"{r['seconds']:.1f} s · {_count(r['videos'], 'video')}",
                    name="facts")
            buttons = card.h_stack("buttons", gap=1)
            buttons.btn("open", label="Open", variant="contained",
                        on_click=self.open_identity, params={"identity": r["id"]})
            buttons.btn("clips", label="Clips", variant="outlined", on_click=self.show_clips,
                        params={"identity": r["id"]})

    def _map(self, panel, ctx) -> None:
        """The track map: one point per track (the Brain run's 2-D points), coloured as the
        App colours identities; selecting points selects their clips."""
        m = ctx.panel.state.map
        if m["brain_key"] not in ctx.dataset.list_brain_runs():
            ctx.panel.state.map = None
            return
        points = ctx.dataset.load_brain_results(m["brain_key"])
        where = dict(zip(points.sample_ids, points.points.tolist()))
        view = ctx.dataset.load_saved_view(m["view"])
        ids, labels = view.values(["id", f"{m['field']}.label"])
        colors = fo_io.identity_colors(ctx.dataset, self._out_field(ctx))
        traces = []
        for label in sorted(set(labels)):
            mine = [i for i, lab in zip(ids, labels) if lab == label and i in where]
            traces.append(dict(type="scatter", mode="markers", name=label, ids=mine,
                               x=[where[i][0] for i in mine], y=[where[i][1] for i in mine],
                               marker=dict(size=9, color=colors.get(label))))
        top = panel.h_stack("map_bar", align_y="center", gap=2)
        top.md(f"#### Track map: {len(ids)} tracks", name="map_title")
        top.btn("hide_map", label="Hide map", variant="outlined", on_click=self.hide_map)
        panel.plot("track_map", data=traces, on_selected=self.select_on_map,
                   layout=dict(dragmode="select", height=360, showlegend=True,
                               margin=dict(l=20, r=20, t=10, b=20),
                               xaxis=dict(visible=False), yaxis=dict(visible=False)))

    def _out_field(self, ctx) -> str:
        return ctx.dataset.get_run_info(self._key(ctx)).config.out_field

    def _shown(self, ctx) -> list[dict]:
        rows = list(ctx.panel.state.identities or [])
        text = (ctx.panel.state.get("tools.search") or "").strip().lower()
        if text:
            rows = [r for r in rows if text in r["id"].lower()
                    or text in (r["name"] or "").lower()]
        by = ctx.panel.state.get("tools.sort") or "faces"
        if by == "name":
            return sorted(rows, key=lambda r: ((r["name"] or r["id"]).lower()))
        return sorted(rows, key=lambda r: -r[by])

    def _review(self, panel, ctx) -> None:
        panel.md("#### Same person?  \nThe pairs the clustering was least sure to keep "
                 "apart: each answer is kept and the run clusters again.", name="review_title")
        if not ctx.panel.state.review:
            panel.btn("start_review", label="Ask about uncertain pairs", variant="outlined",
                      on_click=self.start_review)
            return
        questions = ctx.panel.state.questions or []
        if not questions:
            panel.md("No pair left to ask about.", name="no_questions")
            return
        review = panel.v_stack("review", gap=1)
        for n, q in enumerate(questions):
            row = review.h_stack(f"q{n}", align_y="center", gap=2)
            row.img("a", height="96px", width="96px", alt_text=q["a"])
            row.img("b", height="96px", width="96px", alt_text=q["b"])
            row.md(f"{q['a_name'] or q['a']} / {q['b_name'] or q['b']}", name="who")
            row.btn("yes", label="Same", variant="contained", on_click=self.answer,
                    params=dict(a=q["a"], b=q["b"], same=True))
            row.btn("no", label="Different", variant="outlined", on_click=self.answer,
                    params=dict(a=q["a"], b=q["b"], same=False))

    def _detail(self, panel, ctx) -> None:
        opened = ctx.panel.state.opened
        rows = ctx.panel.state.identities or []
        row = next(r for r in rows if r["id"] == opened)
        title = f"{row['name']} ({opened})" if row["name"] else opened
        top = panel.h_stack("top", align_y="center", gap=2)
        top.btn("back", label="Back to identities", icon="arrow_back", variant="outlined",
                on_click=self.close_identity)
        top.md(f"### {title}", name="title")
        top.btn("clips", label="Show clips", variant="contained", on_click=self.show_clips)
        edit = panel.h_stack("edit", align_y="center", gap=2)
        edit.str("new_name", label="Name")
        edit.btn("rename", label="Rename", variant="contained", on_click=self.rename)
        others = types.Dropdown(label="Merge with")
        for r in rows:
            if r["id"] not in (opened, NOT_A_FACE):
                others.add_choice(r["id"], label=f"{r['name']} ({r['id']})" if r["name"]
                                  else r["id"])
        edit.enum("merge_with", others.values(), view=others)
        edit.btn("merge", label="Merge", variant="outlined", on_click=self.merge)
        detail = panel.v_stack("detail", gap=1)
        for n, t in enumerate(ctx.panel.state.tracks or []):
            line = detail.h_stack(f"t{n}", align_y="center", gap=2)
            line.img("face", height="80px", width="80px", alt_text=f"track {t['track']}")
            line.md(f"track {t['track']} · frames {t['first']}–{t['last']} · "
                    f"{t['faces']} faces", name="facts")
            where = dict(sample_id=t["sample_id"], track=t["track"])
            line.btn("split", label="Split off", variant="outlined",
                     on_click=self.split_track, params=where)
            line.btn("not_face", label="Not a face", variant="outlined",
                     on_click=self.not_a_face, params=where)
        if ctx.panel.state.more_tracks:
            panel.md(f"... and {ctx.panel.state.more_tracks} shorter tracks (`vfc identities "
                     "split` reaches any track)", name="more")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"
