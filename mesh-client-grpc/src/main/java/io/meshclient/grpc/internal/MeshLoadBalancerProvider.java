package io.meshclient.grpc.internal;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;

/**
 * The {@code meshclient} load-balancing policy. Stateless: everything a balancer needs about its
 * service arrives with the resolved addresses (each carries its {@link io.meshclient.Endpoint}), so
 * the one provider found through {@code META-INF/services} serves every channel and no test or
 * application state can leak through it. Channels opt in with {@code
 * defaultLoadBalancingPolicy("meshclient")}; nothing else uses it.
 */
public final class MeshLoadBalancerProvider extends LoadBalancerProvider {

  public static final String POLICY_NAME = "meshclient";

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return POLICY_NAME;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new MeshLoadBalancer(helper);
  }
}
