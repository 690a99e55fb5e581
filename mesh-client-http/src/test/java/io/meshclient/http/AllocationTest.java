package io.meshclient.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Mesh;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.http.testing.MtlsHttpServer;
import io.meshclient.http.testing.RawHttpServer;
import io.meshclient.policy.TlsMode;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import java.util.List;
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

  /**
   * The same over mutual TLS on an established connection: the mesh (STRICT, {@code
   * http://orders/}) against bare OkHttp speaking {@code https://} to the same server with the
   * same TLS context (no host name check: SVIDs name workloads). TLS's own per-record cost is on
   * both sides; the difference is what the mesh adds.
   */
  @Test
  void meshOverMtlsAddsAtMostAFewHundredBytesPerRequest() throws Exception {
    TestCa ca = new TestCa("alloc-root");
    String orders = "spiffe://example.org/ns/shop/sa/orders";
    MeshCredentials serverCreds = MeshCredentials.create(ca.issue(orders), List.of(ca.certificate), m -> {});
    MeshCredentials clientCreds =
        MeshCredentials.create(ca.issue("spiffe://example.org/ns/shop/sa/frontend"), List.of(ca.certificate), m -> {});
    try (MtlsHttpServer server = new MtlsHttpServer(
        "orders", serverCreds.serverSslContext(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of())), false)) {
      Mesh mesh =
          Mesh.create(
              MeshPolicy.builder()
                  .version("1")
                  .service(
                      ServicePolicy.builder("orders")
                          .tls(TlsMode.STRICT)
                          .identities(List.of(orders))
                          .endpoint(EndpointSpec.of("127.0.0.1:" + server.port()))
                          .build())
                  .build());
      PeerPolicy peer = PeerPolicy.fixed("orders", TlsMode.STRICT, List.of(orders));
      OkHttpClient bare =
          new OkHttpClient.Builder()
              .sslSocketFactory(
                  clientCreds.sslContext(peer).getSocketFactory(), clientCreds.trustManager(peer))
              .hostnameVerifier((host, session) -> true)
              .build();
      OkHttpClient meshed = MeshHttp.builder(mesh).credentials(clientCreds).client();
      Request bareRequest = new Request.Builder().url("https://127.0.0.1:" + server.port() + "/x").build();
      Request meshRequest = new Request.Builder().url("http://orders/x").build();
      try {
        long bestBare = Long.MAX_VALUE;
        long bestMesh = Long.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
          bestBare = Math.min(bestBare, perCall(bare, bareRequest, 1_000));
          bestMesh = Math.min(bestMesh, perCall(meshed, meshRequest, 1_000));
        }
        System.out.printf("allocated per GET over mTLS: bare https %d B, mesh %d B, extra %d B%n", bestBare, bestMesh, bestMesh - bestBare);
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
        r.body().source().skip(r.body().contentLength());
      }
    }
    return (THREADS.getThreadAllocatedBytes(tid) - before) / calls;
  }
}
