package io.meshclient.internal.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** An int counter on its own cache line, for counters every request writes (round robin, limits). */
@SuppressWarnings("unused")
final class PaddedCounter extends PaddedCounterValue {
  long q01, q02, q03, q04, q05, q06, q07, q08;

  int getAndIncrement() {
    return (int) VALUE.getAndAdd(this, 1);
  }

  int incrementAndGet() {
    return (int) VALUE.getAndAdd(this, 1) + 1;
  }

  void decrement() {
    VALUE.getAndAdd(this, -1);
  }

  int get() {
    return (int) VALUE.getVolatile(this);
  }

  private static final VarHandle VALUE;

  static {
    try {
      VALUE =
          MethodHandles.lookup().findVarHandle(PaddedCounterValue.class, "value", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}

abstract class PaddedCounterValue extends PadLeft {
  volatile int value;
}
