package io.meshclient.spring.mtls;

import io.meshclient.server.ConfigServer;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real config server on loopback that is the mesh's CA: TLS on its port (clients trust it
 * through the CA's {@code bundle.pem}), a tokens file granting {@link #CHECKOUT} to {@link
 * #TOKEN}, and a policy directory. Certificates may be as short as 5 s, for renewal tests.
 */
public final class CaServer implements AutoCloseable {

  public static final String TRUST_DOMAIN = "example.org";
  public static final String TOKEN = "checkout-bootstrap-7f3a9c";
  public static final String CHECKOUT = "spiffe://example.org/ns/shop/sa/checkout";

  public final Path policies;
  public final Path tokenFile;
  public final Path bundle;
  public final CertificateAuthority ca;
  public final ConfigServer server;

  public CaServer(Path dir) throws Exception {
    policies = Files.createDirectories(dir.resolve("policies"));
    Path tokens = dir.resolve("tokens.yaml");
    Files.writeString(
        tokens, "- {namespace: shop, service: checkout, token: \"" + TOKEN + "\"}\n");
    tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, TOKEN + "\n");
    Path state = dir.resolve("ca");
    ca =
        CertificateAuthority.builder()
            .stateDirectory(state)
            .trustDomain(TRUST_DOMAIN)
            .minimumTtl(Duration.ofSeconds(5))
            .build();
    server =
        ConfigServer.builder()
            .policies(policies)
            .certificateAuthority(ca)
            .tokens(tokens)
            .tls(List.of("localhost", "127.0.0.1"))
            .port(0)
            .statusPort(-1)
            .build()
            .start();
    bundle = state.resolve("bundle.pem");
  }

  /**
   * The properties of an application with identity enabled, talking TLS to this server; {@code
   * more} adds to them or replaces those of the same name.
   */
  public String[] properties(String... more) {
    String[] base = {
      "spring.application.name=checkout",
      "meshclient.config.server-address=127.0.0.1:" + server.port(),
      "meshclient.config.trust-bundle=" + bundle,
      "meshclient.identity.enabled=true",
      "meshclient.identity.token-file=" + tokenFile,
      "meshclient.identity.trust-domain=" + TRUST_DOMAIN
    };
    Map<String, String> all = new LinkedHashMap<>();
    for (String p : base) {
      all.put(p.substring(0, p.indexOf('=')), p);
    }
    for (String p : more) {
      all.put(p.substring(0, p.indexOf('=')), p);
    }
    return all.values().toArray(String[]::new);
  }

  /** Credentials for a server of {@code service} in namespace shop, issued by this CA. */
  public MeshCredentials serverCredentials(String service) {
    return MeshCredentials.create(
        ca.issueServerIdentity(
            SpiffeId.of(TRUST_DOMAIN, "shop", service), List.of("127.0.0.1"), Duration.ofHours(1)),
        ca.trustBundle(),
        message -> {});
  }

  private boolean closed;

  /** Idempotent (tests close it early to make the server unreachable). */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      server.close();
    }
  }
}
