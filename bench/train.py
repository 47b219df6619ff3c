"""Benchmark: training throughput of the VAE (samples per second), data resident on the device.

Prints samples/s at batch 64 and at a large batch for each device available, for the paper's model and for the
default preset's (descriptors, standardized input, and its augmentation inside the step), beside the reference measured with an
independent implementation of a model of this size (750 samples/s at batch 64 on the 2-core CPU; on one H200 8,000
at batch 64 and 500,000 at batch 8192), as a ratio. With --run RUN it also reads RUN/history.csv and prints the
wall time to reach each epoch's validation loss.
Usage: python bench/train.py [--steps 30] [--large-batch 1024] [--run runs/default] [--quick]
(--quick: 2 steps, batch 128 as the large one: what the tests run, to catch a broken benchmark)
"""
import argparse, csv, time
import torch

REFERENCE = {("cpu", 64): 750.0, ("cuda", 64): 8000.0, ("cuda", 8192): 500000.0}

def throughput(device, batch, steps, preset=None, rows=184, sites=9, c_size=236):
    "Training samples/s of the paper's model (preset None) or of a preset's model with its augmentation."
    from dis_csp.model.vae import DisorderedVAE, LatticeScaler
    from dis_csp.model.losses import targets, loss_terms, total_loss
    from dis_csp.model.config import PRESETS
    from dis_csp.model.augment import augment_batch, augmentation_tables
    torch.manual_seed(0)
    config = PRESETS[preset or "paper"]
    model = DisorderedVAE(config.model).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = batch * 4
    A = torch.zeros(n, rows, sites, device=device)
    A[:, 0, :4] = 1.0; A[:, 101 + 4, :4] = 1.0; A[:, 157, :4] = 1.0; A[:, 153:156, :4] = torch.rand(n, 3, 4, device=device)
    c = torch.zeros(n, c_size, device=device); c[:, :6] = 5.0; c[:, 6 + 61] = 1.0
    scaler = LatticeScaler([5.0] * 6, [1.0] * 6)
    if config.model.standardize_input: model.set_input_scaler(scaler)
    gen = torch.Generator().manual_seed(0)
    tables = augmentation_tables(A, c, model.layout)
    def step(i):
        idx = torch.arange(i * batch % n, i * batch % n + batch, device=device) % n
        a, cc = A[idx], c[idx]
        a, cc = augment_batch(a, cc, model.layout, config.augment, tables, gen)   # part of the preset's step (none in paper's)
        loss = total_loss(loss_terms(model(a, cc), targets(a, cc, model.layout, scaler), config.loss), config.loss)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    for i in range(3): step(i)
    if device.type == "cuda": torch.cuda.synchronize()
    t = time.perf_counter()
    for i in range(steps): step(i)
    if device.type == "cuda": torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--large-batch", type=int, default=1024)
    ap.add_argument("--run", help="a run folder whose history.csv gives the time to reach accuracy")
    ap.add_argument("--quick", action="store_true", help="2 steps, large batch 128 (a smoke run)")
    a = ap.parse_args()
    if a.quick: a.steps, a.large_batch = 2, 128
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"{'model':<26}{'device':<8}{'batch':>7}{'samples/s':>12}{'reference':>12}{'ratio':>8}")
    for preset, label in ((None, "paper (Table 4)"), ("default", "default preset (+augment)")):
        for dev in devices:
            for batch in (64, a.large_batch if dev.type == "cpu" else 8192):
                sps = throughput(dev, batch, a.steps if dev.type == "cpu" or batch == 64 else max(5, a.steps // 3), preset)
                ref = REFERENCE.get((dev.type, batch))
                print(f"{label:<26}{dev.type:<8}{batch:>7}{sps:>12.0f}{(f'{ref:.0f}' if ref else '-'):>12}{(f'{sps / ref:.2f}x' if ref else '-'):>8}")
    if a.run:
        rows = [r for r in csv.DictReader(open(f"{a.run}/history.csv")) if r["split"] == "val"]
        elapsed = 0.0
        print(f"\n{a.run}: wall time per epoch and validation loss")
        for r in rows:
            elapsed += float(r["seconds"])
            if int(r["epoch"]) % 10 == 9 or r is rows[-1]:
                print(f"  epoch {int(r['epoch']) + 1:>5}  {elapsed / 60:6.1f} min  val loss {float(r['total']):.4g}")

if __name__ == "__main__":
    main()
