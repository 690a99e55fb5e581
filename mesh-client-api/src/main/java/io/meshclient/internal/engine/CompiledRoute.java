package io.meshclient.internal.engine;

import io.meshclient.RandomSource;
import io.meshclient.RequestReader;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** A route compiled for matching without allocation: arrays, and a reused regex matcher. */
public final class CompiledRoute {
  final String name;
  private final @Nullable String exactPath;
  private final @Nullable String pathPrefix;
  private final @Nullable ThreadLocal<Matcher> pathRegex;
  private final String[] methods;
  private final String[] headerNames;
  private final String[] headerValues;
  final boolean idempotent;
  final DestinationPool[] pools;
  private final int[] cumulativeWeights;
  private final int totalWeight;

  CompiledRoute(String name, Route route, DestinationPool[] pools) {
    RouteMatch m = route.match();
    this.name = name;
    this.exactPath = m.path();
    this.pathPrefix = m.pathPrefix();
    String regex = m.pathRegex();
    if (regex != null) {
      Pattern p = Pattern.compile(regex);
      this.pathRegex = ThreadLocal.withInitial(() -> p.matcher(""));
    } else {
      this.pathRegex = null;
    }
    this.methods = m.methods().toArray(new String[0]);
    this.headerNames = new String[m.headers().size()];
    this.headerValues = new String[m.headers().size()];
    int i = 0;
    for (Map.Entry<String, String> h : m.headers().entrySet()) {
      headerNames[i] = h.getKey();
      headerValues[i] = h.getValue();
      i++;
    }
    this.idempotent = route.idempotent();
    this.pools = pools;
    this.cumulativeWeights = new int[pools.length];
    int sum = 0;
    for (int d = 0; d < pools.length; d++) {
      sum += route.to().get(d).weight();
      cumulativeWeights[d] = sum;
    }
    this.totalWeight = sum;
  }

  <R> boolean matches(R request, RequestReader<? super R> reader) {
    if (exactPath != null || pathPrefix != null || pathRegex != null) {
      String path = reader.path(request);
      if (exactPath != null && !exactPath.equals(path)) {
        return false;
      }
      if (pathPrefix != null && !path.startsWith(pathPrefix)) {
        return false;
      }
      if (pathRegex != null && !pathRegex.get().reset(path).matches()) {
        return false;
      }
    }
    if (methods.length > 0) {
      String method = reader.method(request);
      boolean any = false;
      for (String m : methods) {
        if (m.equals(method)) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    for (int i = 0; i < headerNames.length; i++) {
      if (!headerValues[i].equals(reader.header(request, headerNames[i]))) {
        return false;
      }
    }
    return true;
  }

  /** A destination by weight (precomputed cumulative weights; a few destinations at most). */
  DestinationPool pickDestination(RandomSource random) {
    if (pools.length == 1) {
      return pools[0];
    }
    int r = random.nextInt(totalWeight);
    for (int d = 0; d < cumulativeWeights.length; d++) {
      if (r < cumulativeWeights[d]) {
        return pools[d];
      }
    }
    return pools[pools.length - 1];
  }

  public String name() {
    return name;
  }
}
