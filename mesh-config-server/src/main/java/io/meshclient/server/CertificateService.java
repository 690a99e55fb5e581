package io.meshclient.server;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshclient.config.v1.CertificateRequest;
import io.meshclient.config.v1.CertificateResponse;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.server.ca.CertificateRequestException;
import io.meshclient.server.ca.IssuedCertificate;
import io.meshclient.server.ca.internal.BootstrapTokens;
import java.lang.System.Logger.Level;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The {@code SignCertificate} RPC: rate limit per peer address, then the bootstrap token, then the
 * CA. Refusals carry the status codes of {@code discovery.proto} and say what was expected; the
 * token itself is never logged or echoed.
 */
final class CertificateService {

  private static final System.Logger LOG = System.getLogger(CertificateService.class.getName());
  private static final int MAX_PEERS = 10_000;

  private final @Nullable CertificateAuthority ca;
  private final Supplier<BootstrapTokens> tokens;
  private final Clock clock;
  private final double rate;
  private final double burst;
  private final Map<String, TokenBucket> limits = new ConcurrentHashMap<>();

  CertificateService(@Nullable CertificateAuthority ca, Supplier<BootstrapTokens> tokens, Clock clock, double rate,
      double burst) {
    this.ca = ca;
    this.tokens = tokens;
    this.clock = clock;
    this.rate = rate;
    this.burst = burst;
  }

  void sign(CertificateRequest request, @Nullable String authorization, String peerHost, String peer,
      StreamObserver<CertificateResponse> out) {
    try {
      out.onNext(issue(request, authorization, peerHost));
      out.onCompleted();
    } catch (Refusal r) {
      LOG.log(Level.INFO, "refused a certificate to " + peer + ": " + r.status.getCode() + " " + r.status.getDescription());
      out.onError(r.status.asRuntimeException());
    }
  }

  private CertificateResponse issue(CertificateRequest request, @Nullable String authorization, String peerHost)
      throws Refusal {
    TokenBucket limit = limit(peerHost);
    if (!limit.tryAcquire()) {
      throw new Refusal(Status.RESOURCE_EXHAUSTED.withDescription("too many certificate requests from " + peerHost
          + " (limit: " + limit.describe() + "); retry with backoff"));
    }
    CertificateAuthority authority = ca;
    if (authority == null) {
      throw new Refusal(Status.FAILED_PRECONDITION.withDescription(
          "this server runs no CA (expected: a server started with --ca-dir or --ca-cert/--ca-key)"));
    }
    BootstrapTokens.Entry token = authenticate(authorization);
    try {
      IssuedCertificate issued = authority.issue(request.getCsr().toByteArray(), token.id(), request.getTtlSeconds());
      CertificateResponse.Builder b = CertificateResponse.newBuilder()
          .addCertificateChain(der(issued.certificate())).setSpiffeId(token.id().toString());
      for (X509Certificate root : issued.trustBundle()) {
        b.addTrustBundle(der(root));
      }
      return b.build();
    } catch (CertificateRequestException e) {
      Status s = switch (e.reason()) {
        case INVALID_REQUEST -> Status.INVALID_ARGUMENT;
        case NOT_PERMITTED -> Status.PERMISSION_DENIED;
        case CA_UNAVAILABLE -> Status.FAILED_PRECONDITION;
      };
      throw new Refusal(s.withDescription(e.getMessage()));
    }
  }

  private BootstrapTokens.Entry authenticate(@Nullable String authorization) throws Refusal {
    if (authorization == null || authorization.isBlank()) {
      throw unauthenticated("missing 'authorization' metadata (expected: 'authorization: Bearer <bootstrap token>')");
    }
    String[] parts = authorization.strip().split("\\s+");
    if (parts.length != 2 || !parts[0].toLowerCase(Locale.ROOT).equals("bearer")) {
      // The value is not quoted back: it may be a secret in the wrong shape.
      throw unauthenticated("'authorization' metadata is not a bearer token (expected: 'Bearer <bootstrap token>')");
    }
    BootstrapTokens.Entry e = tokens.get().find(parts[1]);
    if (e == null) {
      throw unauthenticated("unknown bootstrap token (expected: a token listed in the server's tokens file)");
    }
    if (e.expires() != null && !clock.instant().isBefore(e.expires())) {
      throw unauthenticated("the bootstrap token for " + e.id() + " expired at " + e.expires()
          + " (expected: a current token; ask the operator for a new one)");
    }
    return e;
  }

  private TokenBucket limit(String peerHost) {
    if (limits.size() > MAX_PEERS) {
      limits.values().removeIf(TokenBucket::idle); // forget peers that have not asked lately
    }
    return limits.computeIfAbsent(peerHost, h -> new TokenBucket(rate, burst));
  }

  private static Refusal unauthenticated(String message) {
    return new Refusal(Status.UNAUTHENTICATED.withDescription(message));
  }

  private static com.google.protobuf.ByteString der(X509Certificate c) {
    try {
      return com.google.protobuf.ByteString.copyFrom(c.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A refusal on its way to the caller. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Status status;

    Refusal(Status status) {
      super(status.getDescription(), null, false, false);
      this.status = status;
    }
  }
}
