package io.meshclient.grpc;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.tls.SpiffeId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A real gRPC server on loopback (Netty, port 0) implementing grpc-java's {@code SimpleService}
 * test contract. Every response names the backend, so tests see where calls went.
 */
final class Backend extends SimpleServiceGrpc.SimpleServiceImplBase {

  enum Behavior {
    OK,
    /** UNAVAILABLE for calls 0, 1, 2 of every 10: exactly 30 %, deterministic. */
    FLAKY_30,
    /** Never answers. */
    HANG,
    /** UNAVAILABLE for the first call only. */
    FAIL_ONCE,
    /** UNAVAILABLE for every call. */
    FAIL_ALL,
    /** Server streams send one message, then fail with UNAVAILABLE. */
    FAIL_MID_STREAM
  }

  final String name;
  final Map<String, String> labels;
  private final List<ServerInterceptor> interceptors;
  private final ServerCredentials credentials;
  private final Consumer<NettyServerBuilder> options;
  private volatile Server server;
  private int port;
  volatile Behavior behavior = Behavior.OK;

  /** When set, server-streaming calls send one message and then wait for it. */
  volatile CountDownLatch streamGate;

  final AtomicInteger served = new AtomicInteger();
  final AtomicInteger received = new AtomicInteger();
  private final ConcurrentLinkedQueue<StreamObserver<?>> hanging = new ConcurrentLinkedQueue<>();

  /** The callers' SPIFFE IDs, as {@link MeshGrpcServer#callerIdentity()} saw them ("none"). */
  final Set<String> callers = ConcurrentHashMap.newKeySet();

  Backend(String name, Map<String, String> labels, List<ServerInterceptor> interceptors) {
    this(name, labels, interceptors, InsecureServerCredentials.create(), b -> {});
  }

  /** A backend with these server credentials (TLS) and further server options. */
  Backend(
      String name,
      Map<String, String> labels,
      List<ServerInterceptor> interceptors,
      ServerCredentials credentials,
      Consumer<NettyServerBuilder> options) {
    this.name = name;
    this.labels = labels;
    this.interceptors = interceptors;
    this.credentials = credentials;
    this.options = options;
  }

  Backend start() {
    server = bind(0);
    port = server.getPort();
    return this;
  }

  /** Starts again on the same port after {@link #kill()}. */
  Backend restart() {
    server = bind(port);
    return this;
  }

  private Server bind(int p) {
    try {
      NettyServerBuilder b =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", p), credentials)
              .addService(ServerInterceptors.intercept(this, interceptors));
      options.accept(b);
      return b.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("starting backend " + name + " on port " + p, e);
    }
  }

  /** Abrupt death: connections are cut, in-flight calls fail. */
  void kill() {
    server.shutdownNow();
    release();
    awaitTermination();
  }

  void stop() {
    server.shutdownNow();
    release();
    awaitTermination();
  }

  private void release() {
    CountDownLatch gate = streamGate;
    if (gate != null) {
      gate.countDown();
    }
    StreamObserver<?> o;
    while ((o = hanging.poll()) != null) {
      try {
        o.onError(Status.CANCELLED.withDescription("test over").asRuntimeException());
      } catch (RuntimeException ignored) {
        // the call may be gone already
      }
    }
  }

  private void awaitTermination() {
    try {
      if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
        throw new AssertionError("backend " + name + " did not terminate");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  int port() {
    return port;
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  EndpointSpec spec() {
    return EndpointSpec.of(address(), labels);
  }

  private SimpleResponse reply(String text) {
    return SimpleResponse.newBuilder().setResponseMessage(name + ":" + text).build();
  }

  /** Applies the behaviour; true if the call was answered (failed or hung) already. */
  private boolean misbehave(StreamObserver<?> out) {
    received.incrementAndGet();
    switch (behavior) {
      case FLAKY_30 -> {
        if (Math.floorMod(received.get() - 1, 10) < 3) {
          out.onError(Status.UNAVAILABLE.withDescription(name + " is flaky").asRuntimeException());
          return true;
        }
        return false;
      }
      case FAIL_ONCE -> {
        if (received.get() == 1) {
          out.onError(
              Status.UNAVAILABLE.withDescription(name + " fails once").asRuntimeException());
          return true;
        }
        return false;
      }
      case FAIL_ALL -> {
        out.onError(Status.UNAVAILABLE.withDescription(name + " fails").asRuntimeException());
        return true;
      }
      case HANG -> {
        hanging.add(out);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  @Override
  public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
    if (misbehave(out)) {
      return;
    }
    served.incrementAndGet();
    SpiffeId caller = MeshGrpcServer.callerIdentity();
    callers.add(caller == null ? "none" : caller.toString());
    out.onNext(reply(request.getRequestMessage()));
    out.onCompleted();
  }

  @Override
  public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
    if (misbehave(out)) {
      return;
    }
    served.incrementAndGet();
    int n =
        request.getRequestMessage().isEmpty() ? 3 : Integer.parseInt(request.getRequestMessage());
    out.onNext(reply("0"));
    if (behavior == Behavior.FAIL_MID_STREAM) {
      out.onError(
          Status.UNAVAILABLE.withDescription(name + " broke mid-stream").asRuntimeException());
      return;
    }
    CountDownLatch gate = streamGate;
    if (gate != null) {
      try {
        if (!gate.await(20, TimeUnit.SECONDS)) {
          out.onError(Status.INTERNAL.withDescription("gate never opened").asRuntimeException());
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        out.onError(Status.CANCELLED.asRuntimeException());
        return;
      }
    }
    for (int i = 1; i < n; i++) {
      out.onNext(reply(Integer.toString(i)));
    }
    out.onCompleted();
  }

  @Override
  public StreamObserver<SimpleRequest> clientStreamingRpc(StreamObserver<SimpleResponse> out) {
    if (misbehave(out)) {
      return new Ignoring();
    }
    StringBuilder all = new StringBuilder();
    return new StreamObserver<>() {
      @Override
      public void onNext(SimpleRequest r) {
        all.append(r.getRequestMessage());
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        served.incrementAndGet();
        out.onNext(reply(all.toString()));
        out.onCompleted();
      }
    };
  }

  @Override
  public StreamObserver<SimpleRequest> bidiStreamingRpc(StreamObserver<SimpleResponse> out) {
    if (misbehave(out)) {
      return new Ignoring();
    }
    return new StreamObserver<>() {
      @Override
      public void onNext(SimpleRequest r) {
        out.onNext(reply(r.getRequestMessage()));
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        served.incrementAndGet();
        out.onCompleted();
      }
    };
  }

  private static final class Ignoring implements StreamObserver<SimpleRequest> {
    @Override
    public void onNext(SimpleRequest value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  @Override
  public String toString() {
    return name + "@" + address();
  }
}
