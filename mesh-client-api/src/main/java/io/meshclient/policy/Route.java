package io.meshclient.policy;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A routing rule: requests that {@link RouteMatch match} are split among the destinations by
 * weight. Routes are tried in order; the first match wins.
 *
 * @param name a name for metrics and errors, or null (then the route's index is used)
 * @param match the condition
 * @param to the weighted destinations
 * @param idempotent true when every request of this route may be re-sent after it may have
 *     reached the server (for example a POST API that de-duplicates); false to use the default
 *     rules (method, gRPC idempotency, idempotency key)
 */
public record Route(
    @Nullable String name, RouteMatch match, List<Destination> to, boolean idempotent) {

  public Route {
    Objects.requireNonNull(match, "match");
    to = List.copyOf(to);
  }

  public static Route of(RouteMatch match, Destination... to) {
    return new Route(null, match, List.of(to), false);
  }

  public Route named(String name) {
    return new Route(name, match, to, idempotent);
  }

  public Route asIdempotent() {
    return new Route(name, match, to, true);
  }
}
