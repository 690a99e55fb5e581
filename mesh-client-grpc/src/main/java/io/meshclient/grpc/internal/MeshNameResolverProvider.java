package io.meshclient.grpc.internal;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Resolves {@code mesh:///orders} to the endpoints the mesh knows for {@code orders}. One provider
 * per channel, registered in a {@link io.grpc.NameResolverRegistry} instance given to that
 * channel's builder only: nothing is registered globally.
 */
public final class MeshNameResolverProvider extends NameResolverProvider {

  public static final String SCHEME = "mesh";

  /** The {@link Endpoint} an address stands for; the load balancer keys subchannels by it. */
  public static final Attributes.Key<Endpoint> ENDPOINT =
      Attributes.Key.create("meshclient.endpoint");

  private final Mesh mesh;
  private final Class<? extends SocketAddress> addressType;
  private final Function<Endpoint, ? extends SocketAddress> addresses;
  private final ReadyEndpoints ready = new ReadyEndpoints();

  /**
   * @param addressType the class of the addresses produced, which the transport must support
   * @param addresses how an endpoint becomes a socket address
   */
  public MeshNameResolverProvider(
      Mesh mesh,
      Class<? extends SocketAddress> addressType,
      Function<Endpoint, ? extends SocketAddress> addresses) {
    this.mesh = mesh;
    this.addressType = addressType;
    this.addresses = addresses;
  }

  /**
   * The socket address of an endpoint: IP literals as they are (no lookup), host names unresolved
   * so the transport resolves them when it connects, off the channel's sync context.
   */
  public static SocketAddress defaultAddress(Endpoint e) {
    String host = e.host();
    return isIpLiteral(host)
        ? new InetSocketAddress(host, e.port())
        : InetSocketAddress.createUnresolved(host, e.port());
  }

  private static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true; // IPv6
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c != '.' && (c < '0' || c > '9')) {
        return false;
      }
    }
    return !host.isEmpty();
  }

  /** The READY endpoints of the channel this provider resolves for. */
  public ReadyEndpoints ready() {
    return ready;
  }

  /** The target of the channel to {@code service}. */
  public static String target(String service) {
    return SCHEME + ":///" + service;
  }

  @Override
  public @Nullable NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    String path = targetUri.getPath();
    String service = path == null || path.length() < 2 ? "" : path.substring(1);
    if (service.isEmpty() || service.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "target: '" + targetUri + "' (expected: mesh:///<service>, for example mesh:///orders)");
    }
    return new Resolver(service, args.getSynchronizationContext());
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(addressType);
  }

  /**
   * Feeds the channel every endpoint list change of one service (on the channel's sync context).
   */
  private final class Resolver extends NameResolver {
    private final String service;
    private final SynchronizationContext sync;
    private @Nullable Listener2 listener;
    private @Nullable AutoCloseable subscription;
    private boolean shutdown;

    Resolver(String service, SynchronizationContext sync) {
      this.service = service;
      this.sync = sync;
    }

    @Override
    public String getServiceAuthority() {
      return service;
    }

    @Override
    public void start(Listener2 listener) {
      this.listener = listener;
      // The mesh calls back on the updating thread; hop onto the channel's sync context so
      // updates reach the balancer one at a time and in order.
      this.subscription =
          mesh.service(service).onEndpointsChanged(eps -> sync.execute(() -> publish(eps)));
    }

    @Override
    public void refresh() {
      sync.execute(() -> publish(mesh.service(service).endpoints()));
    }

    private void publish(List<Endpoint> endpoints) {
      Listener2 l = listener;
      if (shutdown || l == null) {
        return;
      }
      List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints.size());
      for (Endpoint e : endpoints) {
        groups.add(
            new EquivalentAddressGroup(
                addresses.apply(e), Attributes.newBuilder().set(ENDPOINT, e).build()));
      }
      l.onResult2(
          ResolutionResult.newBuilder()
              .setAddressesOrError(StatusOr.fromValue(groups))
              .setAttributes(Attributes.newBuilder().set(ReadyEndpoints.KEY, ready).build())
              .build());
    }

    @Override
    public void shutdown() {
      shutdown = true;
      AutoCloseable s = subscription;
      subscription = null;
      if (s != null) {
        try {
          s.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing the endpoint subscription of " + service, e);
        }
      }
    }
  }
}
