"""``vfc``: command line for the video face clustering pipeline.

    vfc weights fetch [--force]          obtain, verify and convert the face weights
    vfc demo [--dataset vfc-demo]        build the demo video and run the whole pipeline
    vfc run VIDEO... --dataset NAME      run the whole pipeline on your videos
    vfc cluster --dataset NAME           (re)cluster stored tracks with another method
    vfc adapt --dataset NAME [--cluster] adapt the face model to the videos (VideoClusterNet)
    vfc evaluate --dataset NAME          score identities against frames.gt_faces
    vfc import bbt-buffy|easycom ...     import ground truth of the literature's datasets
    vfc runs --dataset NAME              list clustering and evaluation runs side by side
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path


def _quiet_fiftyone() -> None:
    os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
    os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")


def _printer(prefix: str):
    last = [0.0]

    def progress(fraction: float, label: str) -> None:
        now = time.time()
        if now - last[0] > 2 or fraction >= 1:
            last[0] = now
            print(f"  {prefix} {100 * fraction:5.1f}%  {label}", flush=True)

    return progress


def cmd_weights(args) -> int:
    from . import weights

    for name, path in weights.fetch_all(force=args.force).items():
        print(f"{name}: {path} ({weights.WEIGHTS[name].licence})")
    return 0


def _load_or_create(name: str, overwrite: bool):
    import fiftyone as fo

    if fo.dataset_exists(name):
        if not overwrite:
            return fo.load_dataset(name)
        fo.delete_dataset(name)
    ds = fo.Dataset(name)
    ds.persistent = True
    return ds


def _common(p: argparse.ArgumentParser) -> None:
    from .pipeline import DEFAULT_EMBED_STRIDE

    p.add_argument("--stride", type=int, default=1, help="process every n-th frame")
    p.add_argument("--embed-stride", type=int, default=DEFAULT_EMBED_STRIDE,
                   help="embed one usable face in n of each track (1: every face)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--detector-config", default=None, help="mmdet config (default: YuNet)")
    p.add_argument("--detector-checkpoint", default=None)


def cmd_run(args) -> int:
    _quiet_fiftyone()
    import fiftyone as fo

    from .api import find_identities
    from .video import VideoError, check_decodable

    paths = list(dict.fromkeys(str(Path(v).resolve()) for v in args.videos))
    problems = []
    for path in paths:  # every file, before the dataset is touched
        try:
            check_decodable(path)
        except VideoError as e:
            problems.append(str(e))
    if problems:
        print("error: nothing was added or run:\n" + "\n".join(f"  - {p}" for p in problems),
              file=sys.stderr)
        return 2
    created = args.overwrite or not fo.dataset_exists(args.dataset)
    ds = _load_or_create(args.dataset, args.overwrite)
    known = set(ds.values("filepath")) if len(ds) else set()
    new = [fo.Sample(filepath=p) for p in paths if p not in known]
    added = ds.add_samples(new) if new else []
    t0 = time.time()
    try:
        if added:
            ds.select(added).compute_metadata()
        summary = find_identities(
            ds, frame_stride=args.stride, embed_stride=args.embed_stride, device=args.device,
            detector_config=args.detector_config, detector_checkpoint=args.detector_checkpoint,
            method=args.method, method_params=_method_params(args), scope=args.scope,
            attach_unknown=args.attach_unknown, overwrite=args.overwrite_fields,
            skip_failures=not args.strict, progress=_printer("pipeline"))
    except BaseException:
        # the run wrote nothing: take back the samples it added (or the dataset it made)
        if created:
            ds.delete()
        elif added:
            ds.delete_samples(added)
        raise
    print(f"done in {time.time() - t0:.1f} s: {summary}")
    print(f"open it: fiftyone app launch {ds.name}")
    return _report_video_problems(summary)


def _report_video_problems(summary: dict) -> int:
    """Videos skipped, or whose decoding stopped early: never a silent success (exit 3)."""
    for e in summary.get("failed", []):
        print(f"warning: skipped {e['filepath']}: {e['error']} (sample tagged 'vfc:failed')",
              file=sys.stderr)
    for e in summary.get("decode_errors", []):
        print(f"warning: {e['filepath']}: {e['error']} (sample tagged "
              "'vfc:decode_error')", file=sys.stderr)
    return 3 if summary.get("decode_errors") or summary.get("failed") else 0


def _method_args(p: argparse.ArgumentParser) -> None:
    """``--method`` and one option per user parameter of the registered methods."""
    from .clustering import DEFAULT_METHOD, method_names
    from .clustering.methods import user_options

    p.add_argument("--method", default=DEFAULT_METHOD, choices=method_names(),
                   help="clustering method (default: parameter_free, no K, no threshold)")
    for name, (field, methods) in user_options().items():
        p.add_argument(f"--{name.replace('_', '-')}", type=field.metadata["kind"], default=None,
                       help=f"{field.metadata['help']} ({', '.join(methods)})")
    p.add_argument("--scope", default="video", choices=["video", "collection"],
                   help="cluster each video on its own (default) or all videos together, so "
                        "identities span videos")
    p.add_argument("--no-attach", dest="attach_unknown", action="store_false",
                   help="leave every track the quality rules reject 'unknown'")


def _method_params(args) -> dict:
    from .clustering.methods import user_options

    return {name: getattr(args, name) for name in user_options()}


def _existing(name: str):
    import fiftyone as fo

    if not fo.dataset_exists(name):
        raise ValueError(f"no dataset named {name!r}; `fiftyone datasets list` shows them")
    return fo.load_dataset(name)


def cmd_cluster(args) -> int:
    _quiet_fiftyone()
    from .api import cluster_faces

    summary = cluster_faces(_existing(args.dataset), out_field=args.out_field,
                            method=args.method, method_params=_method_params(args),
                            embeddings=args.embeddings,
                            distance=args.distance, run_key=args.run_key, scope=args.scope,
                            attach_unknown=args.attach_unknown,
                            overwrite=args.overwrite_fields)
    print(f"{args.method}: {summary}")
    return 0


def cmd_adapt(args) -> int:
    _quiet_fiftyone()
    from .api import adapt_faces, cluster_faces

    dataset = _existing(args.dataset)
    summary = adapt_faces(dataset, out_embeddings=args.name, config=args.config,
                          work_dir=args.work_dir, cfg_options=args.cfg_options)
    print(f"adapted: {summary}")
    if args.cluster:
        summary = cluster_faces(dataset, embeddings=args.name, distance=args.distance)
        print(f"parameter_free on the adapted embeddings ({args.distance}): {summary}")
    return 0


def cmd_vct(args) -> int:
    _quiet_fiftyone()
    from .api import cluster_faces, learn_track_embeddings

    dataset = _existing(args.dataset)
    summary = learn_track_embeddings(dataset, out_embeddings=args.name, config=args.config,
                                     per_video=not args.per_dataset, work_dir=args.work_dir,
                                     cfg_options=args.cfg_options)
    print(f"track embeddings: {summary}")
    if args.cluster:
        summary = cluster_faces(dataset, embeddings=args.name)
        print(f"parameter_free on the track embeddings: {summary}")
    return 0


def cmd_evaluate(args) -> int:
    _quiet_fiftyone()
    from .api import evaluate_identities

    report = evaluate_identities(_existing(args.dataset), pred_field=args.pred_field,
                                 gt_field=args.gt_field, eval_key=args.eval_key,
                                 iou_thr=args.iou, unknown_policy=args.unknown_policy)
    print(f"{'level':<6} {'WCP':>6} {'NMI':>6} {'B3 F':>6} {'pair F':>6} {'Hung.':>6} "
          f"{'K pred/true':>12}")
    for level in ("track", "frame"):
        m = report[level]
        print(f"{level:<6} {m['wcp']:6.3f} {m['nmi']:6.3f} {m['bcubed_f']:6.3f} "
              f"{m['pairwise_f']:6.3f} {m['hungarian_accuracy']:6.3f} "
              f"{m['num_predicted']:>5}/{m['num_true']:<6}")
    print(f"#C DIF {report['c_dif']} over {len(report['per_video'])} videos; "
          f"coverage {report['coverage']:.3f}; matched faces {report['matched_faces']} of "
          f"{report['pred_faces']} predicted, {report['gt_faces']} true; run '{args.eval_key}'")
    return 0


def cmd_runs(args) -> int:
    _quiet_fiftyone()
    from .api import list_runs

    ds = _existing(args.dataset)
    print(f"{'run':<24} {'kind':<10} {'method / fields':<34} {'K':>5} {'WCP':>6} {'NMI':>6} "
          f"{'B3 F':>6}")
    for key, kind, cfg, res in list_runs(ds):
        if kind == "evaluate":
            m = res.track
            print(f"{key:<24} {kind:<10} {cfg.pred_field + ' vs ' + cfg.gt_field:<34} "
                  f"{m['num_predicted']:>5} {m['wcp']:6.3f} {m['nmi']:6.3f} "
                  f"{m['bcubed_f']:6.3f}")
        elif kind == "train":
            print(f"{key:<24} {kind:<10} {cfg.method + ': ' + Path(cfg.config).stem:<34.34} "
                  f"{res.iterations:>5} it, {res.seconds / 60:.1f} min")
        elif hasattr(res, "num_identities"):
            print(f"{key:<24} {kind:<10} {cfg.method + ' -> ' + cfg.out_field:<34} "
                  f"{res.num_identities:>5}")
    return 0


def cmd_identities(args) -> int:
    _quiet_fiftyone()
    from . import api

    ds = _existing(args.dataset)
    key = dict(run_key=args.run_key)
    if args.action == "list":
        print(f"{'identity':<10} {'name':<24} {'tracks':>6} {'faces':>6} {'seconds':>8} "
              f"{'videos':>6}")
        for r in api.list_identities(ds, **key):
            print(f"{r['id']:<10} {r['name'] or '':<24} {r['tracks']:>6} {r['faces']:>6} "
                  f"{r['seconds']:>8.1f} {r['videos']:>6}")
        return 0
    if args.action == "rename":
        done = api.rename_identity(ds, args.identity, args.name, **key)
    elif args.action == "merge":
        done = api.merge_identities(ds, args.identities, **key)
    elif args.action == "split":
        done = api.move_track(ds, args.sample, args.track, to=args.to, **key)
    elif args.action == "not-face":
        done = api.mark_not_face(ds, args.sample, args.track, **key)
    elif args.action == "review":
        for q in api.review_questions(ds, k=args.k, **key):
            print(f"{q['a']} ({q['a_name'] or '-'}) vs {q['b']} ({q['b_name'] or '-'}): "
                  f"distance {q['distance']:.3f}; tracks {q['a_track']} {q['b_track']}")
        return 0
    elif args.action == "answer":
        done = api.answer_question(ds, args.a, args.b, same=args.same, **key)
    elif args.action == "map":
        done = api.map_tracks(ds, **key)
    else:
        done = api.undo_correction(ds, **key)
    print(f"{args.action}: {done}" if done else "nothing to undo")
    return 0


def cmd_import(args) -> int:
    _quiet_fiftyone()
    from .datasets import IMPORTERS, import_ground_truth, import_options

    options = {}
    for name, (opt, formats) in import_options().items():
        value = getattr(args, name)
        if value is None:
            continue
        if args.format not in formats:
            raise ValueError(f"--{name.replace('_', '-')} is not an option of {args.format} "
                             f"(it is of {', '.join(formats)})")
        options[name] = value
    IMPORTERS[args.format](args.dataset_dir, **options)  # argument errors before any write
    ds = _load_or_create(args.dataset, args.overwrite)
    summary = import_ground_truth(ds, args.format, args.dataset_dir, **options)
    ds.compute_metadata()
    print(f"imported into '{ds.name}': {summary}")
    return 0


def cmd_demo(args) -> int:
    _quiet_fiftyone()
    import fiftyone as fo

    from .assets import cache_dir
    from .api import find_identities
    from .demo import build_demo_video, ground_truth, true_identity
    from .evaluation import clustering_metrics

    print("building the demo video from registry photos ...", flush=True)
    path, placements = build_demo_video(cache_dir() / "demo")
    gt = ground_truth(placements)
    truth = sorted({p.identity for places in placements for p in places})
    ds = _load_or_create(args.dataset, overwrite=True)
    ds.add_samples([fo.Sample(filepath=str(path))])
    ds.compute_metadata()
    t0 = time.time()
    summary = find_identities(ds, frame_stride=args.stride, embed_stride=args.embed_stride,
                              device=args.device,
                              progress=_printer("pipeline"))
    elapsed = time.time() - t0
    frames, boxes, labels, index = ds.values(
        ["frames.frame_number", "frames.identities.detections.bounding_box",
         "frames.identities.detections.label", "frames.identities.detections.index"])
    meta = ds.first().metadata
    w, h = meta.frame_width, meta.frame_height
    per_track: dict[int, Counter] = {}
    track_label: dict[int, str] = {}
    for fn, fb, fl, fi in zip(frames[0], boxes[0], labels[0], index[0]):
        for b, lab, t in zip(fb or [], fl or [], fi or []):
            box = (b[0] * w, b[1] * h, (b[0] + b[2]) * w, (b[1] + b[3]) * h)
            name = true_identity(gt, fn, box) or "none"
            per_track.setdefault(t, Counter())[name] += 1
            track_label[t] = lab
    print(f"\n{path}: {len(gt)} frames, {summary['num_shots']} shots found "
          f"(5 made), {summary['num_faces']} faces, {summary['num_tracks']} tracks, "
          f"{elapsed:.1f} s")
    print(f"{'track':>5}  {'frames':>6}  {'identity':<9}  true person")
    for t in sorted(k for k in per_track if k is not None):
        who, n = per_track[t].most_common(1)[0]
        print(f"{t:>5}  {sum(per_track[t].values()):>6}  {track_label[t]:<9}  {who}")
    found: dict[str, Counter] = {}
    for t, c in per_track.items():
        if t is not None and track_label[t] != "unknown":
            found.setdefault(track_label[t], Counter()).update(c)
    print(f"\nidentities found: {summary['num_identities']}  (true: {len(truth)}: "
          f"{', '.join(truth)})")
    for lab in sorted(found):
        print(f"  {lab}: " + ", ".join(f"{k} x{v}" for k, v in found[lab].most_common()))
    pairs = [(name, lab) for lab, c in found.items() for name in c.elements()]
    wcp = clustering_metrics(*zip(*pairs))["wcp"] if pairs else 0.0
    print(f"frame-level purity (WCP) of identities: {wcp:.3f}")
    print(f"\ndataset '{ds.name}' saved. Open it in the App:\n  fiftyone app launch {ds.name}\n"
          f"(or python -c \"import fiftyone as fo; fo.launch_app(fo.load_dataset('{ds.name}'))"
          ".wait()\")")
    return 0


def _distance_arg(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--distance", default="cosine", choices=["cosine", "loss"], help=help)


def build_parser() -> argparse.ArgumentParser:
    """The ``vfc`` command line (method choices and options come from the registry, import
    formats and options from the importers' table)."""
    from mmengine.config import DictAction

    _quiet_fiftyone()  # the importers' table imports fiftyone

    from . import fo_io

    parser = argparse.ArgumentParser(prog="vfc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("weights", help="manage pretrained weights")
    w.add_argument("action", choices=["fetch"])
    w.add_argument("--force", action="store_true", help="download and convert again")
    w.set_defaults(func=cmd_weights)
    d = sub.add_parser("demo", help="build the demo video and run the whole pipeline")
    d.add_argument("--dataset", default="vfc-demo")
    _common(d)
    d.set_defaults(func=cmd_demo)
    r = sub.add_parser("run", help="run the whole pipeline on videos")
    r.add_argument("videos", nargs="+")
    r.add_argument("--dataset", required=True)
    r.add_argument("--overwrite", action="store_true", help="start the dataset afresh")
    r.add_argument("--overwrite-fields", action="store_true",
                   help="replace output fields this plugin did not write")
    r.add_argument("--strict", action="store_true",
                   help="stop at a video that fails (default: skip it, report it, exit 3)")
    _common(r)
    _method_args(r)
    r.set_defaults(func=cmd_run)
    c = sub.add_parser("cluster", help="cluster the stored tracks of a dataset")
    c.add_argument("--dataset", required=True)
    c.add_argument("--out-field", default=fo_io.IDENTITIES_FIELD)
    c.add_argument("--run-key", default=fo_io.DEFAULT_RUN_KEY)
    c.add_argument("--overwrite-fields", action="store_true",
                   help="replace an --out-field this plugin did not write")
    _method_args(c)
    c.add_argument("--embeddings", default="original",
                   help="'original' or the name of adapted embeddings ('adapted')")
    _distance_arg(c, "'loss': VideoClusterNet's learned distance (adapted embeddings)")
    c.set_defaults(func=cmd_cluster)
    ids = sub.add_parser("identities", help="list and correct a clustering run's identities")
    acts = ids.add_subparsers(dest="action", required=True)
    for action, help_ in (("list", "identities with their names, tracks and faces"),
                          ("rename", "name an identity"), ("merge", "make identities one"),
                          ("split", "move a track to another identity, or a new one"),
                          ("not-face", "mark a track as no face"),
                          ("review", "the pairs of identities most worth a look"),
                          ("answer", "same person or not: a constraint, then re-cluster"),
                          ("map", "an Embeddings-panel map of the tracks (FiftyOne Brain)"),
                          ("undo", "take back the last correction")):
        a_ = acts.add_parser(action, help=help_)
        a_.add_argument("--dataset", required=True)
        a_.add_argument("--run-key", default=fo_io.DEFAULT_RUN_KEY)
        if action == "rename":
            a_.add_argument("identity", help="id (id_003) or current name")
            a_.add_argument("name")
        elif action == "merge":
            a_.add_argument("identities", nargs="+", help="ids or names; the first stays")
        elif action in ("split", "not-face"):
            a_.add_argument("sample", help="sample id of the video")
            a_.add_argument("track", type=int, help="track id (the faces' index)")
            if action == "split":
                a_.add_argument("--to", default=None, help="identity to join (default: new)")
        elif action == "review":
            a_.add_argument("-k", type=int, default=10, help="how many questions")
        elif action == "answer":
            a_.add_argument("a")
            a_.add_argument("b")
            same = a_.add_mutually_exclusive_group(required=True)
            same.add_argument("--same", dest="same", action="store_true")
            same.add_argument("--different", dest="same", action="store_false")
        a_.set_defaults(func=cmd_identities)
    a = sub.add_parser("adapt", help="adapt the face model to a dataset's videos (MMEngine)")
    a.add_argument("--dataset", required=True)
    a.add_argument("--config", help="mmcfg/adaptation/*.py (default: the CPU-sized one)")
    a.add_argument("--work-dir", help="logs and checkpoints")
    a.add_argument("--name", default="adapted", help="name of the adapted embeddings")
    a.add_argument("--cfg-options", nargs="+", action=DictAction, default=None,
                   help="override config keys, e.g. train_cfg.max_iters=550")
    a.add_argument("--cluster", action="store_true",
                   help="then cluster the adapted embeddings into frames.identities")
    # cosine: with the default matching the paper's stage-3 loss distance over-splits on
    # every benchmark video (BENCHMARKS.md)
    _distance_arg(a, "with --cluster: cosine (default) or 'loss', VideoClusterNet's learned "
                  "distance")
    a.set_defaults(func=cmd_adapt)
    v = sub.add_parser("vct", help="learn one embedding per track (VCT-style, MMEngine)")
    v.add_argument("--dataset", required=True)
    v.add_argument("--config", help="mmcfg/adaptation/vct_*.py (default: video-centralised)")
    v.add_argument("--work-dir", help="logs and checkpoints")
    v.add_argument("--name", default="vct", help="name of the track embeddings")
    v.add_argument("--per-dataset", action="store_true",
                   help="one model for all videos (default: one per video, as the paper)")
    v.add_argument("--cfg-options", nargs="+", action=DictAction, default=None,
                   help="override config keys, e.g. train_cfg.max_iters=400")
    v.add_argument("--cluster", action="store_true",
                   help="then cluster the track embeddings into frames.identities")
    v.set_defaults(func=cmd_vct)
    e = sub.add_parser("evaluate", help="score identities against ground-truth faces")
    e.add_argument("--dataset", required=True)
    e.add_argument("--pred-field", default=fo_io.IDENTITIES_FIELD)
    e.add_argument("--gt-field", default=fo_io.GT_FIELD)
    e.add_argument("--eval-key", default=fo_io.DEFAULT_EVAL_KEY)
    e.add_argument("--iou", type=float, default=0.5)
    e.add_argument("--unknown-policy", default="own_identity",
                   choices=["own_identity", "drop", "single_class"])
    e.set_defaults(func=cmd_evaluate)
    from .datasets import IMPORTERS, import_options

    i = sub.add_parser("import", help="import ground truth of the literature's datasets")
    i.add_argument("format", choices=sorted(IMPORTERS))
    i.add_argument("--dataset-dir", required=True, help="; ".join(
        f"{n}: {cls.DATASET_DIR}" for n, cls in sorted(IMPORTERS.items())))
    i.add_argument("--dataset", required=True)
    i.add_argument("--overwrite", action="store_true")
    for name, (opt, formats) in import_options().items():
        flag = f"--{name.replace('_', '-')}"
        if opt.kind is list:
            i.add_argument(flag, type=opt.item, nargs="*", default=None,
                           help=f"{opt.help} ({', '.join(formats)})")
        else:
            i.add_argument(flag, type=opt.kind, default=None,
                           help=f"{opt.help} ({', '.join(formats)})")
    i.set_defaults(func=cmd_import)
    n = sub.add_parser("runs", help="list clustering and evaluation runs of a dataset")
    n.add_argument("--dataset", required=True)
    n.set_defaults(func=cmd_runs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, RuntimeError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
