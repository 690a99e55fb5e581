package io.meshclient.internal.tls;

import io.meshclient.tls.WorkloadIdentity;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * Presents whatever identity is current at each handshake: rotation needs no rebuild.
 *
 * <p>A handshake asks for an alias, then for its chain and its key in separate calls; an identity
 * update in between must not pair the old certificate with the new key. So an alias names one
 * identity (its leaf's serial), and the chain and key are those of the identity the alias names.
 */
public final class MeshKeyManager extends X509ExtendedKeyManager {

  private static final String ALIAS_PREFIX = "meshclient-workload-";
  /** Identities recently handed out by alias; a handshake in flight still reads its own. */
  private static final int KEPT = 4;

  private final Supplier<@Nullable WorkloadIdentity> identity;
  /** The last few identities handed out, by alias, oldest first. */
  private final Map<String, WorkloadIdentity> chosen =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, WorkloadIdentity> eldest) {
          return size() > KEPT;
        }
      };

  public MeshKeyManager(Supplier<@Nullable WorkloadIdentity> identity) {
    this.identity = identity;
  }

  private static String aliasOf(WorkloadIdentity id) {
    return ALIAS_PREFIX + id.leaf().getSerialNumber().toString(16);
  }

  /** The current identity's alias (TLS 1.3 names signature schemes, not key types: any fits). */
  private @Nullable String alias() {
    WorkloadIdentity id = identity.get();
    if (id == null) {
      return null;
    }
    String alias = aliasOf(id);
    synchronized (chosen) {
      chosen.putIfAbsent(alias, id);
    }
    return alias;
  }

  private @Nullable WorkloadIdentity named(String alias) {
    WorkloadIdentity id;
    synchronized (chosen) {
      id = chosen.get(alias);
    }
    if (id != null) {
      return id;
    }
    WorkloadIdentity current = identity.get();
    return current != null && aliasOf(current).equals(alias) ? current : null;
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    String alias = alias();
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public @Nullable String chooseClientAlias(String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return alias();
  }

  @Override
  public @Nullable String chooseEngineClientAlias(String[] keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return alias();
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    String alias = alias();
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public @Nullable String chooseServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return alias();
  }

  @Override
  public @Nullable String chooseEngineServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return alias();
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(String alias) {
    WorkloadIdentity id = named(alias);
    return id == null ? null : id.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(String alias) {
    WorkloadIdentity id = named(alias);
    return id == null ? null : id.key();
  }
}
