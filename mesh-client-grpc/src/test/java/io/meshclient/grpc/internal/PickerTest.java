package io.meshclient.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import java.lang.management.ManagementFactory;
import java.util.IdentityHashMap;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The picker, called directly: a lookup of the endpoint the engine chose, allocating nothing. */
class PickerTest {

  private static final class TestSubchannel extends Subchannel {
    @Override
    public void shutdown() {}

    @Override
    public void requestConnection() {}

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }
  }

  private static final class Holder implements MeshAttempt {
    volatile @Nullable Endpoint endpoint;
    final Metadata headers = new Metadata();

    @Override
    public boolean starts(Metadata h) {
      return h == headers;
    }

    @Override
    public @Nullable Endpoint endpoint() {
      return endpoint;
    }

    @Override
    public int attemptNumber() {
      return 1;
    }

    @Override
    public String routeName() {
      return "default";
    }
  }

  private static PickSubchannelArgs args(CallOptions options) {
    return args(options, new Metadata());
  }

  private static PickSubchannelArgs args(CallOptions options, Metadata headers) {
    return new PickSubchannelArgs() {
      @Override
      public CallOptions getCallOptions() {
        return options;
      }

      @Override
      public Metadata getHeaders() {
        return headers;
      }

      @Override
      public MethodDescriptor<?, ?> getMethodDescriptor() {
        throw new UnsupportedOperationException();
      }
    };
  }

  private final List<Endpoint> endpoints = endpoints();

  private static List<Endpoint> endpoints() {
    Mesh mesh =
        Mesh.create(
            MeshPolicy.builder()
                .service(
                    ServicePolicy.builder("orders")
                        .endpoint(EndpointSpec.of("10.0.0.1:1"))
                        .endpoint(EndpointSpec.of("10.0.0.2:1"))
                        .endpoint(EndpointSpec.of("10.0.0.3:1"))
                        .build())
                .build());
    return mesh.service("orders").endpoints();
  }

  @Test
  void picksTheCachedResultOfTheChosenEndpointWithoutAllocating() {
    IdentityHashMap<Endpoint, PickResult> ready = new IdentityHashMap<>();
    for (Endpoint e : endpoints.subList(0, 2)) {
      ready.put(e, PickResult.withSubchannel(new TestSubchannel()));
    }
    MeshLoadBalancer.Picker picker = new MeshLoadBalancer.Picker(ready, new IdentityHashMap<>());
    Holder holder = new Holder();
    PickSubchannelArgs args = args(CallOptions.DEFAULT.withOption(MeshAttempt.KEY, holder));

    for (Endpoint e : endpoints.subList(0, 2)) {
      holder.endpoint = e;
      assertThat(picker.pickSubchannel(args)).isSameAs(ready.get(e));
    }
    holder.endpoint = endpoints.get(2); // not known to the balancer yet: wait for it
    assertThat(picker.pickSubchannel(args).hasResult()).isFalse();

    holder.endpoint = endpoints.get(0);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    for (int i = 0; i < 20_000; i++) { // warm up
      picker.pickSubchannel(args);
    }
    long before = threads.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 100_000; i++) {
      picker.pickSubchannel(args);
    }
    long allocated = threads.getThreadAllocatedBytes(tid) - before;
    assertThat(allocated).isLessThan(1_000); // 0 per pick; the counter itself may tick once
  }

  @Test
  void findsAnAttemptStartedOnTheCallersThreadWithoutOptionsAndNeverHoldsIt() {
    Subchannel sc = new TestSubchannel();
    IdentityHashMap<Endpoint, PickResult> results = new IdentityHashMap<>();
    results.put(endpoints.get(0), PickResult.withSubchannel(sc));
    results.put(endpoints.get(1), PickResult.withNoResult()); // connecting
    MeshLoadBalancer.Picker picker = new MeshLoadBalancer.Picker(results, new IdentityHashMap<>());
    Holder holder = new Holder();
    PickSubchannelArgs args = args(CallOptions.DEFAULT, holder.headers);
    MeshAttempt.CURRENT.set(holder);
    try {
      holder.endpoint = endpoints.get(0);
      assertThat(picker.pickSubchannel(args).getSubchannel()).isSameAs(sc);

      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long tid = Thread.currentThread().getId();
      for (int i = 0; i < 20_000; i++) {
        picker.pickSubchannel(args);
      }
      long before = threads.getThreadAllocatedBytes(tid);
      for (int i = 0; i < 100_000; i++) {
        picker.pickSubchannel(args);
      }
      assertThat(threads.getThreadAllocatedBytes(tid) - before).isLessThan(1_000);

      // Not READY after all: fail over now (a connect failure), never wait for a deferred pick.
      holder.endpoint = endpoints.get(1);
      PickResult r = picker.pickSubchannel(args);
      assertThat(r.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(MeshClientCall.isConnectFailure(r.getStatus())).isTrue();

      // Another stream's pick on this thread is not this attempt's.
      assertThat(
              MeshClientCall.isConnectFailure(
                  picker.pickSubchannel(args(CallOptions.DEFAULT)).getStatus()))
          .isTrue();
    } finally {
      MeshAttempt.CURRENT.remove();
    }
  }

  @Test
  void aPickWithoutAnAttemptFailsOverWithAnExplanation() {
    MeshLoadBalancer.Picker picker =
        new MeshLoadBalancer.Picker(new IdentityHashMap<>(), new IdentityHashMap<>());
    PickResult r = picker.pickSubchannel(args(CallOptions.DEFAULT));
    assertThat(r.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(MeshClientCall.isConnectFailure(r.getStatus())).isTrue(); // nothing was sent
    assertThat(r.getStatus().getDescription()).contains("mesh interceptor");
  }

  @Test
  void mapsTransportFailuresToEngineOutcomes() {
    assertThat(
            MeshClientCall.isConnectFailure(
                Status.UNAVAILABLE.withCause(new java.net.ConnectException("refused"))))
        .isTrue();
    assertThat(
            MeshClientCall.isConnectFailure(
                Status.UNAVAILABLE.withCause(new MeshPickFailure("no READY connection", null))))
        .isTrue();
    assertThat(MeshClientCall.isConnectFailure(Status.UNAVAILABLE.withDescription("io exception")))
        .isFalse();
    assertThat(
            MeshClientCall.isRefusedStream(
                Status.UNAVAILABLE.withDescription(
                    "RST_STREAM closed stream. HTTP/2 error code: REFUSED_STREAM")))
        .isTrue();
    // a server shutting down resets its streams: INTERNAL from RST_STREAM is a reset, not an answer
    assertThat(
            MeshClientCall.isStreamReset(
                Status.INTERNAL.withDescription(
                    "RST_STREAM closed stream. HTTP/2 error code: INTERNAL_ERROR")))
        .isTrue();
    assertThat(MeshClientCall.isStreamReset(Status.INTERNAL.withDescription("server bug"))).isFalse();
  }
}
