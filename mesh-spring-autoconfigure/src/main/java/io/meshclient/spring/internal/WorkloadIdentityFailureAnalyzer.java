package io.meshclient.spring.internal;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns {@link WorkloadIdentityException} into Boot's start-up report: the config server's own
 * message, and what to check for its status.
 */
public final class WorkloadIdentityFailureAnalyzer
    extends AbstractFailureAnalyzer<WorkloadIdentityException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, WorkloadIdentityException cause) {
    String code = cause.statusCode();
    String action =
        switch (code == null ? "" : code) {
          case "UNAUTHENTICATED" ->
              "Check the bootstrap token (" + cause.tokenSource() + "): the config server does not"
                  + " accept it. Its tokens file must hold an entry for it that has not expired.";
          case "PERMISSION_DENIED" ->
              "The bootstrap token (" + cause.tokenSource() + ") does not grant the identity asked"
                  + " for: use the token issued for this service.";
          case "FAILED_PRECONDITION" ->
              "The config server cannot issue certificates: start it with a CA (--ca-dir or"
                  + " --ca-cert/--ca-key), or set meshclient.identity.enabled=false.";
          default ->
              "Check that the config server (meshclient.config.server-address) is reachable and"
                  + " runs a CA, that its TLS certificate chains to meshclient.config.trust-bundle"
                  + " (or the system trust store), and that meshclient.identity.start-timeout is"
                  + " long enough; or set meshclient.identity.enabled=false.";
        };
    return new FailureAnalysis(
        "MeshClient could not obtain this application's workload certificate"
            + " (meshclient.identity.enabled=true):\n\n    " + cause.getMessage(),
        action,
        cause);
  }
}
