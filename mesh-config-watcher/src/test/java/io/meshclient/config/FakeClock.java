package io.meshclient.config;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that is also the scheduler (as grpc-java's FakeClock): time moves only in {@link
 * #forward}, which runs the tasks falling due on the calling thread, each at its due time. Tasks
 * may be scheduled from any thread.
 */
final class FakeClock extends AbstractExecutorService implements ScheduledExecutorService {

  private final Instant start;
  private final AtomicLong sequence = new AtomicLong();
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long nanos;

  FakeClock(Instant start) {
    this.start = start;
  }

  /** This clock as a {@link Clock}. */
  Clock clock() {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Instant instant() {
        return now();
      }
    };
  }

  synchronized Instant now() {
    return start.plusNanos(nanos);
  }

  /** The delays, from now, of the tasks waiting (cancelled ones excluded), soonest first. */
  synchronized List<Duration> pending() {
    List<Task> live = new ArrayList<>();
    for (Task t : tasks) {
      if (!t.isCancelled()) {
        live.add(t);
      }
    }
    live.sort(null);
    List<Duration> out = new ArrayList<>();
    for (Task t : live) {
      out.add(Duration.ofNanos(t.due - nanos));
    }
    return out;
  }

  /** Moves time forward by {@code d}, running each task that falls due at its due time. */
  void forward(Duration d) {
    long target;
    synchronized (this) {
      target = nanos + d.toNanos();
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = tasks.peek();
        if (next == null || next.due > target) {
          nanos = target;
          return;
        }
        tasks.poll();
        nanos = next.due;
      }
      if (!next.isCancelled()) {
        next.done = true;
        next.command.run();
      }
    }
  }

  /** Moves time to the soonest pending task and runs it (and any due at the same time). */
  Duration runNext() {
    Duration d = pending().get(0);
    forward(d);
    return d;
  }

  @Override
  public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    Task t = new Task(command, nanos + Math.max(0, unit.toNanos(delay)), sequence.getAndIncrement());
    tasks.add(t);
    return t;
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public void shutdown() {}

  @Override
  public List<Runnable> shutdownNow() {
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return false;
  }

  @Override
  public boolean isTerminated() {
    return false;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return false;
  }

  private final class Task implements ScheduledFuture<Object> {
    final Runnable command;
    final long due;
    final long seq;
    volatile boolean cancelled;
    volatile boolean done;

    Task(Runnable command, long due, long seq) {
      this.command = command;
      this.due = due;
      this.seq = seq;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      synchronized (FakeClock.this) {
        return unit.convert(due - nanos, TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public int compareTo(Delayed o) {
      Task other = (Task) o;
      int c = Long.compare(due, other.due);
      return c != 0 ? c : Long.compare(seq, other.seq);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done) {
        return false;
      }
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }
  }
}
