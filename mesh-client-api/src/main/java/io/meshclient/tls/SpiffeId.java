package io.meshclient.tls;

import java.net.URI;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * A SPIFFE ID, {@code spiffe://<trust-domain>/<path>} (for MeshClient workloads {@code
 * spiffe://<trust-domain>/ns/<namespace>/sa/<service>}), as carried in the URI SAN of an X.509
 * SVID.
 */
public record SpiffeId(String trustDomain, String path) {

  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");
  private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9._-]+)+");
  private static final int URI_SAN = 6;

  public SpiffeId {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(path, "path");
    if (!TRUST_DOMAIN.matcher(trustDomain).matches()) {
      throw new IllegalArgumentException(
          "invalid SPIFFE trust domain '" + trustDomain + "' (expected lower-case letters, digits, '.', '-', '_')");
    }
    if (!PATH.matcher(path).matches()) {
      throw new IllegalArgumentException(
          "invalid SPIFFE path '" + path + "' (expected /segment[/segment...], e.g. /ns/shop/sa/orders)");
    }
  }

  /** Parses {@code spiffe://trust-domain/path}. */
  public static SpiffeId parse(String id) {
    Objects.requireNonNull(id, "id");
    String prefix = "spiffe://";
    if (!id.toLowerCase(Locale.ROOT).startsWith(prefix)) {
      throw new IllegalArgumentException("not a SPIFFE ID: '" + id + "' (expected spiffe://<trust-domain>/<path>)");
    }
    String rest = id.substring(prefix.length());
    int slash = rest.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("SPIFFE ID without a path: '" + id + "' (expected spiffe://<trust-domain>/<path>)");
    }
    return new SpiffeId(rest.substring(0, slash), rest.substring(slash));
  }

  /** The MeshClient convention for a service's workload identity. */
  public static SpiffeId of(String trustDomain, String namespace, String service) {
    return new SpiffeId(trustDomain, "/ns/" + namespace + "/sa/" + service);
  }

  /**
   * The SPIFFE ID in {@code certificate}'s URI SAN, or null when it has none. An SVID has exactly
   * one; a certificate with several URI SANs is refused.
   */
  public static @Nullable SpiffeId fromCertificate(X509Certificate certificate)
      throws CertificateParsingException {
    Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
    if (sans == null) {
      return null;
    }
    List<String> uris = new ArrayList<>();
    for (List<?> san : sans) {
      if (san.size() >= 2 && Integer.valueOf(URI_SAN).equals(san.get(0))) {
        uris.add(String.valueOf(san.get(1)));
      }
    }
    if (uris.isEmpty()) {
      return null;
    }
    if (uris.size() > 1) {
      throw new CertificateParsingException(
          "certificate " + certificate.getSubjectX500Principal() + " has " + uris.size()
              + " URI SANs " + uris + " (an SVID has exactly one)");
    }
    try {
      URI uri = URI.create(uris.get(0));
      if (!"spiffe".equalsIgnoreCase(uri.getScheme())) {
        return null;
      }
      return parse(uris.get(0));
    } catch (IllegalArgumentException e) {
      throw new CertificateParsingException("bad SPIFFE URI SAN '" + uris.get(0) + "': " + e.getMessage());
    }
  }

  /**
   * The SPIFFE ID the peer of {@code session} authenticated with (on a server: the caller), or null
   * when the peer presented no certificate or its certificate carries no valid SPIFFE ID (treat
   * such a peer as unauthenticated). Under a STRICT policy the handshake already refused both.
   */
  public static @Nullable SpiffeId fromSession(SSLSession session) {
    Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null; // no client certificate (PERMISSIVE), or not a TLS session with peer auth
    }
    if (peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
      return null;
    }
    try {
      return fromCertificate(leaf);
    } catch (CertificateParsingException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "spiffe://" + trustDomain + path;
  }
}
