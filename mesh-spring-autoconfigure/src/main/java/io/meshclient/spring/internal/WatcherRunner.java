package io.meshclient.spring.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.meshclient.Mesh;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.NodeIdentity;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.tls.MeshCredentials;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the {@link MeshConfigWatcher} of the application. It starts before the web server (a
 * lower lifecycle phase) so that the cached policy is in force before traffic arrives. When this
 * application registers itself and its port is the web server's, the watcher starts once the web
 * server has its port (the watcher takes its registration when built). With workload identity,
 * the trust bundle the server streams is fed into the application's {@link MeshCredentials}.
 */
public final class WatcherRunner implements SmartLifecycle, ServiceSubscriber {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** What to build the watcher from. */
  public record Settings(
      @Nullable String token,
      NodeIdentity node,
      Set<String> services,
      @Nullable Path cacheDirectory,
      boolean register,
      @Nullable String registerHost,
      @Nullable Integer registerPort) {}

  private final Mesh mesh;
  private final Settings settings;
  private final SourceStatus status;
  private final Channel channel;
  private final Supplier<@Nullable MeshCredentials> trustTarget;
  private volatile @Nullable MeshConfigWatcher watcher;
  private volatile boolean running;
  private final Set<String> services;

  /**
   * @param channel to the config server, owned by the caller
   * @param trustTarget asked when the watcher starts: credentials to keep on the server's trust
   *     bundle, or null
   */
  public WatcherRunner(
      Mesh mesh,
      Settings settings,
      SourceStatus status,
      Channel channel,
      Supplier<@Nullable MeshCredentials> trustTarget) {
    this.mesh = mesh;
    this.settings = settings;
    this.status = status;
    this.channel = channel;
    this.trustTarget = trustTarget;
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
    String token = settings.token();
    Channel ch = token == null ? channel : ClientInterceptors.intercept(channel, bearer(token));
    MeshConfigWatcher.Builder b =
        MeshConfigWatcher.builder()
            .channel(ch)
            .node(settings.node())
            .mesh(mesh)
            .subscribe(services)
            .listener(status);
    MeshCredentials credentials = trustTarget.get();
    if (credentials != null) {
      b.trustBundleTo(credentials);
    }
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
