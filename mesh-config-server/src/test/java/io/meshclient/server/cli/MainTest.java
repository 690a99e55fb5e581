package io.meshclient.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

public class MainTest {

  public record Run(int code, String out, String err) {}

  public static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  private static Path resource(String name) throws Exception {
    return Path.of(MainTest.class.getResource("/" + name).toURI());
  }

  @Test
  void validateAcceptsTheSamplePolicies() throws Exception {
    Run r = run("validate", resource("policies").toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("ok: 2 files valid");
    assertThat(r.code()).isZero();
  }

  @Test
  void validateListsEveryProblemWithFileLineAndPathAndExitsOne() throws Exception {
    Path dir = resource("bad-policies");
    Run r = run("validate", dir.toString());
    System.out.println(r.err());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().lines()).containsExactly(
        dir.resolve("orders.yaml") + ":2:10: orders.timeout: not a duration, got '2 seconds'"
            + " (expected: a number with a unit, e.g. 2s, 500ms, 1m30s)",
        dir.resolve("orders.yaml") + ":4:3: orders.retry.maxAttempts: must be in [1, 10], got 11",
        dir.resolve("orders.yaml") + ":5:12: orders.retry.budget.ratio: must be in [0, 1], got 1.5",
        dir.resolve("payments.yaml") + ":2:1: payments.loadBalancer.hashHeader: is required for RING_HASH"
            + " (expected: the request header to hash, e.g. x-user-id)",
        "4 problems in 2 of 2 files");
  }

  @Test
  void validateReportsEngineProblemsOnceTheFileReads() throws Exception {
    Path dir = java.nio.file.Files.createTempDirectory("validate");
    java.nio.file.Files.writeString(dir.resolve("orders.yaml"), "service: orders\nretry:\n  maxAttempts: 11\n  budget: {ratio: 1.5}\n");
    Run r = run("validate", dir.resolve("orders.yaml").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("orders.yaml:3:3: orders.retry.maxAttempts: must be in [1, 10], got 11")
        .contains("orders.yaml:4:12: orders.retry.budget.ratio: must be in [0, 1], got 1.5");
  }

  @Test
  void validateOfAMissingDirectoryFailsAndNoArgumentsIsAUsageError() {
    Run r = run("validate", "/no/such/dir");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("/no/such/dir: no such file or directory");
    assertThat(run("validate").code()).isEqualTo(2);
    assertThat(run().code()).isEqualTo(2);
  }

  @Test
  void statusOfAnUnreachableServerFails() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = run("status", "--server", "127.0.0.1:" + port);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("cannot reach http://127.0.0.1:" + port + "/status");
  }
}
