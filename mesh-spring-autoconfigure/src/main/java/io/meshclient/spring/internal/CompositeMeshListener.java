package io.meshclient.spring.internal;

import io.meshclient.Endpoint;
import io.meshclient.MeshListener;
import io.meshclient.Outcome;
import io.meshclient.Rejection;
import io.meshclient.RetryDecision;
import io.meshclient.policy.MeshPolicy;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Fans the mesh's rare events out to every {@link MeshListener} bean. */
public final class CompositeMeshListener implements MeshListener {

  private final MeshListener[] listeners;

  private CompositeMeshListener(List<MeshListener> listeners) {
    this.listeners = listeners.toArray(new MeshListener[0]);
  }

  public static MeshListener of(List<MeshListener> listeners) {
    if (listeners.isEmpty()) {
      return MeshListener.NONE;
    }
    return listeners.size() == 1 ? listeners.get(0) : new CompositeMeshListener(listeners);
  }

  @Override
  public void onPolicyApplied(MeshPolicy policy) {
    for (MeshListener l : listeners) {
      l.onPolicyApplied(policy);
    }
  }

  @Override
  public void onRetry(String service, int attempt, @Nullable Outcome outcome, int status) {
    for (MeshListener l : listeners) {
      l.onRetry(service, attempt, outcome, status);
    }
  }

  @Override
  public void onRetryDenied(String service, RetryDecision reason) {
    for (MeshListener l : listeners) {
      l.onRetryDenied(service, reason);
    }
  }

  @Override
  public void onRejected(String service, Rejection reason) {
    for (MeshListener l : listeners) {
      l.onRejected(service, reason);
    }
  }

  @Override
  public void onEjected(String service, Endpoint endpoint, long ejectionNanos) {
    for (MeshListener l : listeners) {
      l.onEjected(service, endpoint, ejectionNanos);
    }
  }

  @Override
  public void onBreakerStateChange(String service, Endpoint endpoint, Endpoint.BreakerState state) {
    for (MeshListener l : listeners) {
      l.onBreakerStateChange(service, endpoint, state);
    }
  }
}
