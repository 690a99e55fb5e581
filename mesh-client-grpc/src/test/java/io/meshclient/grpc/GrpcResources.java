package io.meshclient.grpc;

import io.grpc.ManagedChannel;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts backends and registers channels, and shuts every one down after each test, failing the
 * test if one does not terminate (the discipline of grpc-testing's {@code GrpcCleanupRule}).
 */
final class GrpcResources implements AfterEachCallback {

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<Backend> backends = new ArrayList<>();

  Backend backend(String name, Map<String, String> labels, ServerInterceptor... interceptors) {
    Backend b = new Backend(name, labels, List.of(interceptors)).start();
    synchronized (this) {
      backends.add(b);
    }
    return b;
  }

  /** A backend with server credentials (TLS) and further options, such as maxConnectionAge. */
  Backend backend(
      String name,
      ServerCredentials credentials,
      Consumer<NettyServerBuilder> options,
      ServerInterceptor... interceptors) {
    Backend b = new Backend(name, Map.of(), List.of(interceptors), credentials, options).start();
    synchronized (this) {
      backends.add(b);
    }
    return b;
  }

  Backend backend(String name) {
    return backend(name, Map.of());
  }

  synchronized ManagedChannel register(ManagedChannel channel) {
    channels.add(channel);
    return channel;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    List<ManagedChannel> cs;
    List<Backend> bs;
    synchronized (this) {
      cs = new ArrayList<>(channels);
      bs = new ArrayList<>(backends);
      channels.clear();
      backends.clear();
    }
    for (ManagedChannel c : cs) {
      c.shutdownNow();
    }
    for (Backend b : bs) {
      b.stop();
    }
    for (ManagedChannel c : cs) {
      if (!c.awaitTermination(10, TimeUnit.SECONDS)) {
        throw new AssertionError("channel did not terminate: " + c);
      }
    }
  }
}
