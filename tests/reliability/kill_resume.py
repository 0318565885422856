#!/usr/bin/env python3
"""kill -9 a training run at random moments, resume it each time, and check that nothing is
lost or silently wrong (issue 13, goal 1):

  * every committed checkpoint generation (checkpoints/step-N) is bit-identical to the
    generation of an uninterrupted reference run at the same step (model, optimizer, trainer);
  * every run that completes ends bit-identical to the reference (final generation and the
    published model.safetensors / trainer.json);
  * after a successful run no temporary file (*.tmp.*) is left anywhere in the run folder.

usage: kill_resume.py ABACUS WORKDIR [--kills N] [--budget SECONDS] [--seed S] [--steps S]
Prints a summary line `kill-resume: ...` with the figures the README quotes.
"""
import argparse
import filecmp
import os
import random
import shutil
import signal
import subprocess
import sys
import time

CONFIG = """{
  "name": "kill-test", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
  "num_attention_heads": 2, "num_key_value_heads": 2, "vocab_size": 256, "max_position_embeddings": 64,
  "hidden_act": "silu", "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": true,
  "quant": "b1.58", "norm": "rmsnorm", "ffn": "swiglu", "subln": false,
  "training": {"lr": 0.006, "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "warmup_steps": 2,
               "schedule": "cosine"}
}
"""
FILES = ("config.json", "model.safetensors", "optimizer.safetensors", "trainer.json")


def generations(run):
    d = os.path.join(run, "checkpoints")
    if not os.path.isdir(d):
        return []
    return sorted(n for n in os.listdir(d) if n.startswith("step-") and ".tmp." not in n)


def temporaries(run):
    found = []
    for root, dirs, files in os.walk(run):
        found += [os.path.join(root, n) for n in dirs + files if ".tmp." in n]
    return found


def same_files(a, b, names):
    return all(filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False) for n in names)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("abacus")
    ap.add_argument("work")
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--budget", type=float, default=90.0, help="seconds for the kill loop (stops early, fails if < --kills)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--steps", type=int, default=12)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    src = os.path.dirname(os.path.abspath(__file__))
    corpus_src = os.path.join(src, "..", "data", "tiny-corpus")

    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    corpus = os.path.join(a.work, "corpus")
    shutil.copytree(corpus_src, corpus)
    cfg = os.path.join(a.work, "config.json")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    ref, victim = os.path.join(a.work, "ref"), os.path.join(a.work, "victim")
    common = ["--config", cfg, "--data", corpus, "--steps", str(a.steps), "--batch", "2", "--seq", "16",
              "--checkpoint-every", "1", "--eval-every", str(a.steps), "--eval-windows", "2", "--log-every",
              "1000", "--threads", "1"]

    t0 = time.monotonic()
    r = subprocess.run([a.abacus, "train", "--out", ref, "--keep-checkpoints", "0"] + common,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("reference run failed:\n" + r.stdout + r.stderr)
    # A second uninterrupted run (the tokenizer now exists, as for the victims) times a run and
    # shows that two uninterrupted runs agree to the bit.
    t1 = time.monotonic()
    ref2 = os.path.join(a.work, "ref2")
    r = subprocess.run([a.abacus, "train", "--out", ref2] + common, capture_output=True, text=True)
    t_ref = time.monotonic() - t1
    if r.returncode != 0:
        sys.exit("second reference run failed:\n" + r.stdout + r.stderr)
    ref_gens = generations(ref)
    if not same_files(os.path.join(ref, "checkpoints", ref_gens[-1]), os.path.join(ref2, "checkpoints", ref_gens[-1]), FILES):
        sys.exit("two uninterrupted runs differ: training is not deterministic")
    if len(ref_gens) != a.steps:
        sys.exit("reference run has %d generations, expected %d" % (len(ref_gens), a.steps))

    def check_generations(why):
        for g in generations(victim):
            if not same_files(os.path.join(victim, "checkpoints", g), os.path.join(ref, "checkpoints", g), FILES):
                sys.exit("%s: generation %s differs from the uninterrupted run" % (why, g))
        top = os.path.join(victim, "model.safetensors")
        if os.path.exists(top) and not any(
                filecmp.cmp(top, os.path.join(ref, "checkpoints", g, "model.safetensors"), shallow=False)
                for g in ref_gens):
            sys.exit("%s: the published model.safetensors matches no generation of the reference run" % why)

    def check_complete(why):
        last = os.path.join(ref, "checkpoints", ref_gens[-1])
        gens = generations(victim)
        if not gens or gens[-1] != ref_gens[-1]:
            sys.exit("%s: final generation %s, expected %s" % (why, gens[-1:] or None, ref_gens[-1]))
        check_generations(why)
        if not same_files(victim, last, ("model.safetensors", "trainer.json", "config.json")):
            sys.exit("%s: the published files differ from the uninterrupted run's" % why)
        stray = temporaries(victim)
        if stray:
            sys.exit("%s: temporary files left after a successful run: %s" % (why, stray))

    kills = completions = during_write = resumed_runs = 0
    picked = {}
    loop_start = time.monotonic()
    while kills < a.kills and time.monotonic() - loop_start < a.budget:
        p = subprocess.Popen([a.abacus, "train", "--out", victim, "--resume"] + common,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        delay = rng.uniform(0.0, t_ref)
        try:
            out, _ = p.communicate(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            finished = False
        for line in out.splitlines():
            if line.startswith("resumed "):
                resumed_runs += 1
                step = line.rsplit("(step ", 1)[-1].rstrip(")")
                picked[step] = picked.get(step, 0) + 1
        if finished:
            if p.returncode != 0:
                sys.exit("a resumed run failed (exit %d):\n%s" % (p.returncode, out))
            check_complete("completed run %d" % (completions + 1))
            completions += 1
            shutil.rmtree(victim)  # start over for more kill points
            continue
        kills += 1
        if temporaries(victim):
            during_write += 1
        check_generations("after kill %d" % kills)
    # Finish the last interrupted run.
    r = subprocess.run([a.abacus, "train", "--out", victim, "--resume"] + common, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("final resume failed:\n" + r.stdout + r.stderr)
    check_complete("final resume")
    completions += 1
    elapsed = time.monotonic() - t0
    print("kill-resume: %d kill -9 points survived (%d with a write in progress), %d resumes, %d runs completed "
          "bit-identical to the uninterrupted run, 0 stray temporaries; reference run %.2f s, total %.1f s"
          % (kills, during_write, resumed_runs, completions, t_ref, elapsed))
    print("resume points (step: count): " + ", ".join("%s: %d" % (k, picked[k]) for k in sorted(picked, key=int)))
    if kills < a.kills:
        sys.exit("only %d of %d kill points fit in the %.0f s budget" % (kills, a.kills, a.budget))


if __name__ == "__main__":
    main()
