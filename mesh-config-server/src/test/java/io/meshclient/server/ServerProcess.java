package io.meshclient.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code meshclient-server serve} in its own JVM, as deployed; killed with SIGKILL when asked. */
final class ServerProcess implements AutoCloseable {

  private static final Pattern SERVING = Pattern.compile("on port (\\d+), status on http://localhost:(\\d+)/");

  final Process process;
  final int port;
  final int statusPort;

  private ServerProcess(Process process, int port, int statusPort) {
    this.process = process;
    this.port = port;
    this.statusPort = statusPort;
  }

  static ServerProcess start(Path policies, int port, Path log, String... jvmArgs) throws IOException {
    return start(java.util.List.of(jvmArgs), java.util.List.of("--policies", policies.toString(), "--port",
        Integer.toString(port), "--status-port", "0", "--lease-grace", "2s"), log);
  }

  /** {@code serve} with these options (the status port must be on: its line tells the ports). */
  static ServerProcess start(java.util.List<String> jvmArgs, java.util.List<String> serveArgs, Path log) throws IOException {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    java.util.List<String> cmd = new java.util.ArrayList<>();
    cmd.add(javaBin);
    cmd.addAll(jvmArgs);
    cmd.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), "io.meshclient.server.cli.Main", "serve"));
    cmd.addAll(serveArgs);
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      Matcher m = SERVING.matcher(line);
      if (m.find()) {
        return new ServerProcess(p, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
      }
    }
    p.destroyForcibly();
    throw new IOException("the server process ended before serving; see " + log);
  }

  /** SIGKILL: no shutdown hook, no goodbye to the clients. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
