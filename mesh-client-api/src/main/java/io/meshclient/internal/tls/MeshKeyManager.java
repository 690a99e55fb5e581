package io.meshclient.internal.tls;

import io.meshclient.tls.WorkloadIdentity;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/** Presents whatever identity is current at each handshake: rotation needs no rebuild. */
public final class MeshKeyManager extends X509ExtendedKeyManager {

  private static final String ALIAS = "meshclient-workload";
  private final Supplier<@Nullable WorkloadIdentity> identity;

  public MeshKeyManager(Supplier<@Nullable WorkloadIdentity> identity) {
    this.identity = identity;
  }

  private @Nullable String alias(String[] keyTypes) {
    WorkloadIdentity id = identity.get();
    if (id == null) {
      return null;
    }
    String algorithm = id.key().getAlgorithm();
    for (String t : keyTypes) {
      if (t.equals(algorithm) || t.startsWith(algorithm)) {
        return ALIAS;
      }
    }
    // TLS 1.3 names signature schemes rather than key types; offer the identity anyway.
    return ALIAS;
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    return identity.get() == null ? null : new String[] {ALIAS};
  }

  @Override
  public @Nullable String chooseClientAlias(String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return alias(keyType);
  }

  @Override
  public @Nullable String chooseEngineClientAlias(String[] keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    return identity.get() == null ? null : new String[] {ALIAS};
  }

  @Override
  public @Nullable String chooseServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return alias(new String[] {keyType});
  }

  @Override
  public @Nullable String chooseEngineServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return alias(new String[] {keyType});
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(String alias) {
    WorkloadIdentity id = identity.get();
    return id == null ? null : id.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(String alias) {
    WorkloadIdentity id = identity.get();
    return id == null ? null : id.key();
  }
}
