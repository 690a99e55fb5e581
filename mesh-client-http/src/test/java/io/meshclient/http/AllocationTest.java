package io.meshclient.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Mesh;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.http.testing.RawHttpServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * What the mesh adds to a GET's allocation on the calling thread, where a synchronous OkHttp call
 * runs entirely (the server's allocations are on its own threads and not counted). The design
 * target is at most ~300 B over bare OkHttp; a per-request URL rewrite would cost ~1.2 KB.
 */
class AllocationTest {

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @Test
  void meshAddsAtMostAFewHundredBytesPerRequest() throws Exception {
    try (RawHttpServer server = new RawHttpServer()) {
      Mesh mesh =
          Mesh.create(
              MeshPolicy.builder()
                  .version("1")
                  .service(
                      ServicePolicy.builder("orders")
                          .endpoint(EndpointSpec.of("127.0.0.1:" + server.port()))
                          .build())
                  .build());
      OkHttpClient bare = new OkHttpClient();
      OkHttpClient meshed = MeshHttp.client(mesh);
      Request bareRequest = new Request.Builder().url("http://127.0.0.1:" + server.port() + "/x").build();
      Request meshRequest = new Request.Builder().url("http://orders/x").build();
      try {
        long bestBare = Long.MAX_VALUE;
        long bestMesh = Long.MAX_VALUE;
        // Warm both paths up together, then keep each one's best round: JIT state only lowers it.
        for (int round = 0; round < 10; round++) {
          bestBare = Math.min(bestBare, perCall(bare, bareRequest, 1_500));
          bestMesh = Math.min(bestMesh, perCall(meshed, meshRequest, 1_500));
        }
        System.out.printf("allocated per GET: bare %d B, mesh %d B, extra %d B%n", bestBare, bestMesh, bestMesh - bestBare);
        assertThat(bestMesh - bestBare).isLessThanOrEqualTo(300);
      } finally {
        Fleet.shutdown(bare);
        Fleet.shutdown(meshed);
      }
    }
  }

  private static long perCall(OkHttpClient client, Request request, int calls) throws IOException {
    long tid = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(tid);
    for (int i = 0; i < calls; i++) {
      try (Response r = client.newCall(request).execute()) {
        r.body().source().skip(2);
      }
    }
    return (THREADS.getThreadAllocatedBytes(tid) - before) / calls;
  }
}
