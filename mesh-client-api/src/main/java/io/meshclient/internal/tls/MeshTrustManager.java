package io.meshclient.internal.tls;

import io.meshclient.policy.TlsMode;
import io.meshclient.tls.PeerPolicy;
import io.meshclient.tls.SpiffeId;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Checks a peer in two steps: its chain must lead to a root of the current trust bundle (PKIX,
 * validity included; no host name check, SVIDs name workloads, not hosts), then its SPIFFE ID must
 * be one the policy allows. STRICT refuses a disallowed identity with an error naming the expected
 * and presented identities; PERMISSIVE lets it through and reports it.
 */
public final class MeshTrustManager extends X509ExtendedTrustManager {

  private final Supplier<List<X509Certificate>> roots;
  private final PeerPolicy peers;
  private final Consumer<String> reporter;

  public MeshTrustManager(
      Supplier<List<X509Certificate>> roots, PeerPolicy peers, Consumer<String> reporter) {
    this.roots = roots;
    this.peers = peers;
    this.reporter = reporter;
  }

  private void check(X509Certificate[] chain, String role) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException(peers.name() + ": the " + role + " presented no certificate");
    }
    List<X509Certificate> bundle = roots.get();
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (X509Certificate root : bundle) {
        anchors.add(new TrustAnchor(root, null));
      }
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(Arrays.asList(chain));
      CertPathValidator.getInstance("PKIX").validate(path, params);
    } catch (CertPathValidatorException e) {
      throw new CertificateException(
          peers.name() + ": the " + role + "'s certificate " + chain[0].getSubjectX500Principal()
              + " is not trusted: " + reason(e) + " (trust bundle: " + subjects(bundle) + ")", e);
    } catch (GeneralSecurityException e) {
      throw new CertificateException(peers.name() + ": cannot validate the " + role + "'s chain: " + e.getMessage(), e);
    }
    SpiffeId presented = SpiffeId.fromCertificate(chain[0]);
    List<String> allowed = peers.identities();
    if (allowed.isEmpty()) {
      if (presented == null) {
        throw new CertificateException(peers.name() + ": the " + role + "'s certificate has no SPIFFE ID");
      }
      return;
    }
    String presentedText = presented == null ? "no SPIFFE ID" : presented.toString();
    if (presented != null && allowed.contains(presentedText)) {
      return;
    }
    String message =
        peers.name() + ": the " + role + " presented " + presentedText + ", expected one of " + allowed;
    if (peers.mode() == TlsMode.STRICT) {
      throw new CertificateException(message);
    }
    reporter.accept("PERMISSIVE: accepted although not allowed: " + message);
  }

  private static String reason(CertPathValidatorException e) {
    Throwable cause = e.getCause();
    String why = e.getReason() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    if (cause instanceof java.security.cert.CertificateExpiredException) {
      return "expired (" + cause.getMessage() + ")";
    }
    if (cause instanceof java.security.cert.CertificateNotYetValidException) {
      return "not yet valid (" + cause.getMessage() + ")";
    }
    return why;
  }

  private static List<String> subjects(List<X509Certificate> bundle) {
    return bundle.stream().map(c -> c.getSubjectX500Principal().getName()).toList();
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, "client");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, "server");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain, "client");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain, "server");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain, "client");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain, "server");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return roots.get().toArray(new X509Certificate[0]);
  }
}
