package io.meshclient.grpc.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What {@code MeshGrpc} returns: the application's interceptors over the mesh's logical calls,
 * whose attempts go to the real channels of {@link Transports}. Lifecycle calls cover every real
 * channel built so far.
 */
public final class MeshManagedChannel extends ManagedChannel {

  private final String service;
  private final Channel calls;
  private final Transports transports;

  /**
   * @param calls the logical calls, with the application's interceptors applied
   */
  public MeshManagedChannel(String service, Channel calls, Transports transports) {
    this.service = service;
    this.calls = calls;
    this.transports = transports;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    if (transports.isShutdown()) {
      return new FailedCall<>(
          Status.UNAVAILABLE.withDescription(
              "meshclient: the channel to service '" + service + "' is shut down"));
    }
    return calls.newCall(method, callOptions);
  }

  @Override
  public String authority() {
    return calls.authority();
  }

  @Override
  public ManagedChannel shutdown() {
    transports.shutdown();
    return this;
  }

  @Override
  public boolean isShutdown() {
    return transports.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return transports.isTerminated();
  }

  @Override
  public ManagedChannel shutdownNow() {
    transports.shutdownNow();
    return this;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return transports.awaitTermination(timeout, unit);
  }

  @Override
  public ConnectivityState getState(boolean requestConnection) {
    return transports.getState(requestConnection);
  }

  @Override
  public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
    transports.notifyWhenStateChanged(source, callback);
  }

  @Override
  public void resetConnectBackoff() {
    transports.resetConnectBackoff();
  }

  @Override
  public void enterIdle() {
    transports.enterIdle();
  }

  @Override
  public String toString() {
    return "MeshManagedChannel{service=" + service + "}";
  }

  /** A call that fails at start with a fixed status; nothing is sent. */
  static final class FailedCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private final Status status;

    FailedCall(Status status) {
      this.status = status;
    }

    @Override
    public void start(Listener<RespT> listener, Metadata headers) {
      listener.onClose(status, new Metadata());
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void cancel(@Nullable String message, @Nullable Throwable cause) {}

    @Override
    public void halfClose() {}

    @Override
    public void sendMessage(ReqT message) {}
  }
}
