package io.meshclient.spring.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This machine's address, to register when no host is configured. */
final class LocalAddress {

  private LocalAddress() {}

  static String get() {
    try {
      return InetAddress.getLocalHost().getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(
          "meshclient.registration.host: not set and this machine's address is unknown ("
              + e.getMessage()
              + "); expected: set it to the address other instances reach this one at",
          e);
    }
  }
}
