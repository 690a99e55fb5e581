package io.meshclient.internal.policy;

import org.jspecify.annotations.Nullable;

/** A parsed {@code host:port}; {@code [v6]:port} for IPv6 literals. */
public record HostAndPort(String host, int port) {

  /** Parses {@code address}, or returns null when it is not {@code host:port}. */
  public static @Nullable HostAndPort parse(String address) {
    String host;
    String portText;
    if (address.startsWith("[")) {
      int close = address.indexOf(']');
      if (close < 0 || close + 1 >= address.length() || address.charAt(close + 1) != ':') {
        return null;
      }
      host = address.substring(1, close);
      portText = address.substring(close + 2);
    } else {
      int colon = address.lastIndexOf(':');
      if (colon <= 0 || address.indexOf(':') != colon) {
        return null;
      }
      host = address.substring(0, colon);
      portText = address.substring(colon + 1);
    }
    if (host.isEmpty() || portText.isEmpty() || portText.length() > 5) {
      return null;
    }
    for (int i = 0; i < portText.length(); i++) {
      if (!Character.isDigit(portText.charAt(i))) {
        return null;
      }
    }
    int port = Integer.parseInt(portText);
    if (port < 1 || port > 65535) {
      return null;
    }
    return new HostAndPort(host, port);
  }

  /** The address as {@code host:port}, bracketing IPv6 literals. */
  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
