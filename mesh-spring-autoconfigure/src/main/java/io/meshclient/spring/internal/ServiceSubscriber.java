package io.meshclient.spring.internal;

/**
 * Adds a service to the config subscription when a client for it is first made at run time
 * (gRPC channels), so that it need not be listed in {@code meshclient.config.services}.
 */
@FunctionalInterface
public interface ServiceSubscriber {

  ServiceSubscriber NONE = service -> {};

  void subscribe(String service);
}
