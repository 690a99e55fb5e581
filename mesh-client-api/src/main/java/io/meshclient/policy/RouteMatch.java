package io.meshclient.policy;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a request must look like for a route to apply. Every condition that is set must hold; an
 * empty match applies to every request. For gRPC the path is {@code /package.Service/Method}, so
 * one route table serves both protocols.
 *
 * @param path the exact path, or null
 * @param pathPrefix a path prefix, or null
 * @param pathRegex a regular expression the whole path must match, or null (at most one of the
 *     three path conditions)
 * @param methods HTTP methods (upper case) of which the request's must be one; empty for any. gRPC
 *     calls have the method {@code POST}.
 * @param headers headers (names in lower case) that must be present with exactly these values
 */
public record RouteMatch(
    @Nullable String path,
    @Nullable String pathPrefix,
    @Nullable String pathRegex,
    List<String> methods,
    Map<String, String> headers) {

  /** Matches every request. */
  public static final RouteMatch ANY = new RouteMatch(null, null, null, List.of(), Map.of());

  public RouteMatch {
    methods = List.copyOf(methods);
    headers = Map.copyOf(headers);
  }

  public static RouteMatch pathPrefix(String prefix) {
    return new RouteMatch(null, prefix, null, List.of(), Map.of());
  }

  public static RouteMatch path(String path) {
    return new RouteMatch(path, null, null, List.of(), Map.of());
  }

  public static RouteMatch pathRegex(String regex) {
    return new RouteMatch(null, null, regex, List.of(), Map.of());
  }

  public static RouteMatch header(String name, String value) {
    return new RouteMatch(null, null, null, List.of(), Map.of(name, value));
  }

  /** This match, additionally requiring one of {@code methods}. */
  public RouteMatch withMethods(String... methods) {
    return new RouteMatch(path, pathPrefix, pathRegex, List.of(methods), headers);
  }

  /** This match, additionally requiring a header. */
  public RouteMatch withHeader(String name, String value) {
    var merged = new java.util.LinkedHashMap<>(headers);
    merged.put(name, value);
    return new RouteMatch(path, pathPrefix, pathRegex, methods, merged);
  }
}
