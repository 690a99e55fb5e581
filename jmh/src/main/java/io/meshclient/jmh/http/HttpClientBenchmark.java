package io.meshclient.jmh.http;

import io.meshclient.Mesh;
import io.meshclient.http.MeshHttp;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.http.testing.RawHttpServer;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A GET through the mesh-wrapped OkHttp client beside the same GET through bare OkHttp, against
 * one loopback server in the same run. {@code rewrittenUrl} is bare OkHttp plus what a naive
 * adapter does per request (rebuild the {@code HttpUrl} with the endpoint's host and port, copy
 * the {@code Request}): the cost the mesh's per-endpoint DNS/socket-factory routing avoids.
 *
 * <p>The server is a minimal HTTP/1.1 keep-alive responder on a raw socket that allocates nothing
 * per request, so {@code gc.alloc.rate.norm} (which counts every thread of the JVM) is the
 * client's. Run with {@code -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class HttpClientBenchmark {

  private RawHttpServer server;
  private OkHttpClient bare;
  private OkHttpClient meshed;
  private Request bareRequest;
  private Request meshRequest;
  private Request logicalRequest;
  private String endpointHost;
  private int endpointPort;

  @Setup
  public void setUp() throws IOException {
    server = new RawHttpServer();
    endpointHost = "127.0.0.1";
    endpointPort = server.port();

    bare = new OkHttpClient();
    bareRequest = new Request.Builder().url("http://" + endpointHost + ":" + endpointPort + "/items/42").build();

    Mesh mesh =
        Mesh.create(
            MeshPolicy.builder()
                .version("bench")
                .service(
                    ServicePolicy.builder("orders")
                        .endpoint(EndpointSpec.of(endpointHost + ":" + endpointPort))
                        .build())
                .build());
    meshed = MeshHttp.client(mesh);
    meshRequest = new Request.Builder().url("http://orders/items/42").build();
    logicalRequest = meshRequest;
  }

  @TearDown
  public void tearDown() throws IOException {
    bare.dispatcher().executorService().shutdown();
    bare.connectionPool().evictAll();
    meshed.dispatcher().executorService().shutdown();
    meshed.connectionPool().evictAll();
    server.close();
  }

  private static long drain(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      ResponseBody body = response.body();
      return body.source().readByteString().size() + response.code();
    }
  }

  @Benchmark
  public long bareOkHttp() throws IOException {
    return drain(bare, bareRequest);
  }

  @Benchmark
  public long meshOkHttp() throws IOException {
    return drain(meshed, meshRequest);
  }

  @Benchmark
  public long rewrittenUrl() throws IOException {
    HttpUrl url = logicalRequest.url().newBuilder().host(endpointHost).port(endpointPort).build();
    return drain(bare, logicalRequest.newBuilder().url(url).build());
  }
}
