package hive.bench;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * The harness of the load generators that run for a fixed time ({@link LockBench},
 * {@link HttpBench}): N worker threads started together, told to stop after the time, joined; the
 * elapsed time and the process CPU time over the run; the first failure of a worker rethrown.
 */
final class TimedRun {

    /** One worker's loop: runs until {@code stop} is set. */
    interface Worker {
        void run(int n, AtomicBoolean stop);
    }

    /** Wall time of the run in seconds, and the process CPU time over it (-1 when unknown). */
    record Measured(double seconds, long cpuNanos) {
    }

    private TimedRun() {}

    /** Starts {@code threads} workers named {@code name-N}, stops them after {@code seconds}, joins them. */
    static Measured measure(String name, int threads, double seconds, Worker worker) {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] workers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            int n = i;
            workers[n] = Thread.ofPlatform().name(name + "-" + n).unstarted(() -> {
                try {
                    worker.run(n, stop);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                }
            });
        }
        long cpu0 = EngineDrain.processCpuNanos();
        long start = System.nanoTime();
        for (Thread t : workers) {
            t.start();
        }
        try {
            Thread.sleep(Math.round(seconds * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stop.set(true);
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring", e);
            }
        }
        long elapsed = System.nanoTime() - start;
        long cpu1 = EngineDrain.processCpuNanos();
        if (failure.get() != null) {
            throw new IllegalStateException(name + " benchmark failed: " + failure.get(), failure.get());
        }
        return new Measured(elapsed / 1e9, cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0);
    }

    /** The workers' histograms added up (a worker that never started has none). */
    static Histogram merge(Histogram[] histograms) {
        Histogram all = new Histogram(3);
        for (Histogram h : histograms) {
            if (h != null) {
                all.add(h);
            }
        }
        return all;
    }
}
