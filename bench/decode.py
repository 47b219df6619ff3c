"""Benchmark: decoding throughput of the shipped model (latents per second), on every device there is.

Two stages, each beside the CPU in the same process as a ratio: the decoder's heads (latent vectors in, the named
outputs out: what conditioning and prediction run on every optimization step) at batch 1,024, and the whole decoding
to checked crystals (`decode_latents`: heads, site decoding and the named repairs, which run on the CPU whatever the
device) on KDE draws.
Usage: python bench/decode.py [--batch 1024] [--steps 20] [--n 200] [--quick]
(--quick: batch 64, 2 steps, 10 crystals: what the tests run, to catch a broken benchmark)
"""
import argparse, time
import torch


def heads_per_second(model, device, batch: int, steps: int) -> float:
    "Latent vectors through the decoder's heads per second."
    m = model.to(device)
    z = torch.randn(batch, m.config.latent_dim, device=device, generator=torch.Generator(device=device).manual_seed(0))
    with torch.no_grad():
        for _ in range(2): m.decode(z)
        if device.type == "cuda": torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(steps): m.decode(z)
        if device.type == "cuda": torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--n", type=int, default=200, help="KDE draws decoded to crystals")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick: a.batch, a.steps, a.n = 64, 2, 10
    from dis_csp.generation.run import Run
    from dis_csp.generation.decoding import decode_latents
    run = Run.open("default")
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; model {run.name}")
    cpu = heads_per_second(run.model, devices[0], a.batch, a.steps)
    for dev in devices:
        rate = cpu if dev.type == "cpu" else heads_per_second(run.model, dev, a.batch, a.steps)
        print(f"decoder heads   {dev.type:<5} batch {a.batch:>6}  {rate:>12.0f} latents/s  {rate / cpu:6.1f}x the CPU")
    run.model.to("cpu")
    z = run.samplers(need=["kde"], progress=False)["kde"].sample(a.n, 0)
    t = time.perf_counter()
    decoded = decode_latents(run.model, run.scaler, z, run.decode_settings())
    rate = a.n / (time.perf_counter() - t)
    print(f"whole decoding  cpu   {a.n:>6} KDE draws {rate:>10.1f} latents/s  {sum(d.crystal is not None for d in decoded)} crystals")


if __name__ == "__main__":
    main()
