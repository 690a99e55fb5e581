package io.meshclient.spring.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import io.meshclient.Mesh;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.NodeIdentity;
import io.meshclient.policy.EndpointSpec;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the {@link MeshConfigWatcher} of the application. It starts before the web server (a
 * lower lifecycle phase) so that the cached policy is in force before traffic arrives. When this
 * application registers itself and its port is the web server's, the watcher starts once the web
 * server has its port (the watcher takes its registration when built).
 */
public final class WatcherRunner implements SmartLifecycle, ServiceSubscriber {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** What to build the watcher from. */
  public record Settings(
      String address,
      @Nullable String token,
      boolean plaintext,
      NodeIdentity node,
      Set<String> services,
      @Nullable Path cacheDirectory,
      boolean register,
      @Nullable String registerHost,
      @Nullable Integer registerPort) {}

  private final Mesh mesh;
  private final Settings settings;
  private final SourceStatus status;
  private @Nullable ManagedChannel channel;
  private volatile @Nullable MeshConfigWatcher watcher;
  private volatile boolean running;
  private final Set<String> services;

  public WatcherRunner(Mesh mesh, Settings settings, SourceStatus status) {
    this.mesh = mesh;
    this.settings = settings;
    this.status = status;
    this.services = new TreeSet<>(settings.services());
  }

  /** Subscribes to {@code service} too (a client for it was made after start-up). */
  @Override
  public synchronized void subscribe(String service) {
    if (services.add(service)) {
      MeshConfigWatcher w = watcher;
      if (w != null) {
        w.subscribe(Set.copyOf(services));
      }
    }
  }

  /** The watcher, once started. */
  public @Nullable MeshConfigWatcher watcher() {
    return watcher;
  }

  private boolean waitsForWebServer() {
    return settings.register() && settings.registerPort() == null;
  }

  @Override
  public synchronized void start() {
    running = true;
    if (!waitsForWebServer()) {
      startWatcher(settings.registerPort());
    }
  }

  /** The embedded web server listens on {@code port}. */
  public synchronized void webServerStarted(int port) {
    if (running && watcher == null && waitsForWebServer()) {
      startWatcher(port);
    }
  }

  private void startWatcher(@Nullable Integer port) {
    ManagedChannel c =
        Grpc.newChannelBuilder(
                settings.address(),
                settings.plaintext()
                    ? InsecureChannelCredentials.create()
                    : TlsChannelCredentials.create())
            .keepAliveTime(30, TimeUnit.SECONDS)
            .userAgent("meshclient-spring")
            .build();
    channel = c;
    Channel ch = settings.token() == null ? c : ClientInterceptors.intercept(c, bearer(settings.token()));
    MeshConfigWatcher.Builder b =
        MeshConfigWatcher.builder()
            .channel(ch)
            .node(settings.node())
            .mesh(mesh)
            .subscribe(services)
            .listener(status);
    if (settings.cacheDirectory() != null) {
      b.cacheDirectory(settings.cacheDirectory());
    }
    if (settings.register() && port != null) {
      String host = settings.registerHost() == null ? LocalAddress.get() : settings.registerHost();
      b.register(EndpointSpec.of(host + ":" + port));
    }
    MeshConfigWatcher w = b.build();
    status.bind(w::connected, w::version);
    watcher = w;
    w.start();
  }

  private static ClientInterceptor bearer(String token) {
    String value = "Bearer " + token;
    return new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(
          MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<A> listener, Metadata headers) {
            headers.put(AUTHORIZATION, value);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  @Override
  public synchronized void stop() {
    running = false;
    MeshConfigWatcher w = watcher;
    if (w != null) {
      w.close();
      watcher = null;
    }
    ManagedChannel c = channel;
    if (c != null) {
      c.shutdown();
      try {
        if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
          c.shutdownNow();
        }
      } catch (InterruptedException e) {
        c.shutdownNow();
        Thread.currentThread().interrupt();
      }
      channel = null;
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Before the web server (which starts at {@code Integer.MAX_VALUE - 2048}). */
  @Override
  public int getPhase() {
    return 0;
  }
}
