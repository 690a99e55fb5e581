package io.meshclient.tls;

import io.meshclient.ServiceHandle;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import java.util.List;

/**
 * Which peers a connection may accept, read at every handshake so that a policy update applies to
 * the next connection without rebuilding anything.
 */
public interface PeerPolicy {

  /** The name used in errors: the service being called, or "inbound" for a server. */
  String name();

  /** STRICT refuses peers whose identity is not allowed; PERMISSIVE accepts and reports them. */
  TlsMode mode();

  /** The allowed SPIFFE IDs; empty means any identity the trust bundle vouches for. */
  List<String> identities();

  /** The policy of the service behind {@code handle}, as it is at each handshake. */
  static PeerPolicy of(ServiceHandle handle) {
    return new PeerPolicy() {
      @Override
      public String name() {
        return handle.name();
      }

      @Override
      public TlsMode mode() {
        ServicePolicy p = handle.policy();
        return p == null ? TlsMode.STRICT : p.tls();
      }

      @Override
      public List<String> identities() {
        return identitiesOf(handle);
      }
    };
  }

  /**
   * {@code mode}, with the identities the service's policy allows at each handshake: for an
   * adapter that chose the connection's mode itself (it keeps connections of different modes
   * apart), so that the check matches the transport even while the policy changes.
   */
  static PeerPolicy of(ServiceHandle handle, TlsMode mode) {
    return new PeerPolicy() {
      @Override
      public String name() {
        return handle.name();
      }

      @Override
      public TlsMode mode() {
        return mode;
      }

      @Override
      public List<String> identities() {
        return identitiesOf(handle);
      }
    };
  }

  private static List<String> identitiesOf(ServiceHandle handle) {
    ServicePolicy p = handle.policy();
    return p == null ? List.of() : p.identities();
  }

  /** A fixed policy: {@code mode} with these identities. */
  static PeerPolicy fixed(String name, TlsMode mode, List<String> identities) {
    List<String> ids = List.copyOf(identities);
    return new PeerPolicy() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public TlsMode mode() {
        return mode;
      }

      @Override
      public List<String> identities() {
        return ids;
      }
    };
  }
}
