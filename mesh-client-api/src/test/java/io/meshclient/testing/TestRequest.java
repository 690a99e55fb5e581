package io.meshclient.testing;

import io.meshclient.RequestReader;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A request as a test adapter would hold it, and its {@link RequestReader}.
 *
 * @param method upper-case HTTP method
 * @param path the path (for gRPC {@code /pkg.Service/Method})
 * @param headers headers by lower-case name
 * @param idempotent whether the transport knows the request to be idempotent
 */
public record TestRequest(
    String method, String path, Map<String, String> headers, boolean idempotent) {

  public TestRequest {
    headers = Map.copyOf(headers);
  }

  public static TestRequest get(String path) {
    return new TestRequest("GET", path, Map.of(), false);
  }

  public static TestRequest post(String path) {
    return new TestRequest("POST", path, Map.of(), false);
  }

  /** This request with one more header. */
  public TestRequest header(String name, String value) {
    var h = new java.util.HashMap<>(headers);
    h.put(name, value);
    return new TestRequest(method, path, h, idempotent);
  }

  /** This request, marked idempotent by the transport (a gRPC method declared idempotent). */
  public TestRequest asIdempotent() {
    return new TestRequest(method, path, headers, true);
  }

  /** Reads a {@link TestRequest} without allocating. */
  public static final RequestReader<TestRequest> READER =
      new RequestReader<>() {
        @Override
        public String method(TestRequest r) {
          return r.method();
        }

        @Override
        public String path(TestRequest r) {
          return r.path();
        }

        @Override
        public @Nullable String header(TestRequest r, String lowerCaseName) {
          return r.headers().get(lowerCaseName);
        }

        @Override
        public boolean idempotent(TestRequest r) {
          return r.idempotent();
        }
      };
}
