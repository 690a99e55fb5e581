package io.meshclient.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as an end-to-end test: a real config server, three real instances (one misbehaving),
 * HTTP and gRPC callers, a canary shift, an instance killed and restarted, an invalid policy
 * pushed. The caller must see no failure.
 */
class DemoTest {

  @Test
  void theCallerSeesNoFailureThroughCanaryShiftKillRestartAndInvalidPolicy(@TempDir Path dir)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int status = new Demo(out, Duration.ofSeconds(30), dir.resolve("policies"), false).run();
    String output = bytes.toString(StandardCharsets.UTF_8);
    System.out.println(output);

    assertThat(output)
        .contains("shifting the canary")
        .contains("killing instance a")
        .contains("bringing instance a back")
        .contains("orders.retry.budget.ratio: must be in [0, 1], got 1.5")
        .contains("failures seen by the caller: 0");
    assertThat(status).as(output).isZero();
  }
}
