package io.meshclient.server.cli;

import io.meshclient.config.FileProblem;
import io.meshclient.config.PolicyDirectory;
import io.meshclient.config.PolicyFiles;
import io.meshclient.server.ConfigServer;
import io.meshclient.server.ca.CaException;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.server.status.StatusHttpServer;
import io.meshclient.server.status.StatusTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code meshclient-server}: {@code serve}, {@code validate}, {@code status}, {@code ca} (the CA's
 * state directory and root rotation), {@code token} (a new bootstrap token).
 *
 * <p>Exit codes: 0 success; 1 invalid policies ({@code validate}) or an unreachable server ({@code
 * status}); 2 bad usage.
 */
@Command(
    name = "meshclient-server",
    mixinStandardHelpOptions = true,
    version = "meshclient-server 0.1.0",
    description = "The MeshClient config server: serves policy files to clients over the config stream.",
    subcommands = {Main.Serve.class, Main.Validate.class, Main.Status.class, CaCommand.class, TokenCommand.class})
public final class Main implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 2;
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams; returns the exit code (for tests and embedding). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Serve the policy files of DIR (watched: edits are validated and pushed).")
  static final class Serve implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--policies", required = true, paramLabel = "DIR", description = "The directory of policy files (*.yaml).")
    Path policies;

    @Option(names = "--port", defaultValue = "18000", description = "gRPC port (default ${DEFAULT-VALUE}; 0 for any).")
    int port;

    @Option(names = "--status-port", defaultValue = "18001", description = "Status HTTP port (default ${DEFAULT-VALUE}; -1 for none).")
    int statusPort;

    @Option(names = "--lease-grace", defaultValue = "30s", description = "How long a disconnected instance stays registered (default ${DEFAULT-VALUE}).")
    String leaseGrace;

    @CommandLine.Mixin CaOptions ca;

    @Option(names = "--tokens", paramLabel = "FILE",
        description = "The bootstrap tokens file (YAML; reloaded when it changes). Needs a CA.")
    Path tokens;

    @Option(names = "--cert-ttl",
        description = "Lifetime of a workload certificate whose request names none (default 24h, or --max-cert-ttl if "
            + "lower; at least 1m).")
    String certTtl;

    @Option(names = "--tls", description = "Serve the config port over TLS with a certificate the CA issues to this "
        + "server; clients trust it through bundle.pem in the CA directory. Needs a CA.")
    boolean tls;

    @Option(names = "--tls-names", split = ",", defaultValue = "localhost,127.0.0.1", paramLabel = "NAME[,NAME...]",
        description = "The DNS names and IP addresses clients dial, for the server certificate's SAN (default ${DEFAULT-VALUE}).")
    List<String> tlsNames;

    @Option(names = "--require-identity", description = "Require a workload certificate from the CA on the config "
        + "stream: a stream without one is refused, and a stream may register only the service its SPIFFE ID names. "
        + "SignCertificate stays open (bootstrap tokens). Needs --tls and a CA.")
    boolean requireIdentity;

    @Option(names = "--max-cert-ttl", defaultValue = "24h",
        description = "The longest lifetime issued, whatever a request asks (default ${DEFAULT-VALUE}).")
    String maxCertTtl;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (!Files.isDirectory(policies)) {
        err.println("serve: --policies " + policies + ": not a directory");
        return 2;
      }
      Duration grace;
      try {
        grace = io.meshclient.config.internal.Durations.parse(leaseGrace);
      } catch (IllegalArgumentException e) {
        err.println("serve: --lease-grace: " + e.getMessage());
        return 2;
      }
      ConfigServer.Builder builder = ConfigServer.builder().policies(policies).port(port).statusPort(statusPort)
          .leaseGrace(grace);
      if (ca.configured()) {
        CertificateAuthority authority;
        try {
          CertificateAuthority.Builder b = CertificateAuthority.builder().maxTtl(duration("--max-cert-ttl", maxCertTtl));
          if (certTtl != null) {
            b.defaultTtl(duration("--cert-ttl", certTtl));
          }
          authority = ca.open(b);
        } catch (IllegalArgumentException | CaException e) {
          err.println("serve: CA: " + e.getMessage());
          return 2;
        }
        builder.certificateAuthority(authority);
      } else if (tokens != null || tls || requireIdentity) {
        err.println("serve: " + (requireIdentity ? "--require-identity" : tls ? "--tls" : "--tokens")
            + " needs a CA (expected: --ca-dir DIR, or --ca-cert FILE --ca-key FILE)");
        return 2;
      }
      if (requireIdentity && !tls) {
        err.println("serve: --require-identity needs --tls (client certificates are verified in the TLS handshake;"
            + " expected: --require-identity --tls)");
        return 2;
      }
      if (tls) {
        builder.tls(tlsNames).requireIdentity(requireIdentity);
      }
      if (tokens != null) {
        if (!Files.isRegularFile(tokens)) {
          err.println("serve: --tokens " + tokens + ": no such file (expected: the YAML bootstrap tokens file)");
          return 2;
        }
        builder.tokens(tokens);
      }
      ConfigServer server;
      try {
        server = builder.build().start();
      } catch (IllegalArgumentException e) {
        err.println("serve: " + e.getMessage());
        return 2;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "meshclient-server-shutdown"));
      out.println("meshclient-server: serving " + policies + (tls ? " over TLS" : "")
          + (requireIdentity ? " (workload certificates required on the config stream)" : "") + " on port " + server.port()
          + (server.statusPort() < 0 ? "" : ", status on http://localhost:" + server.statusPort() + "/"));
      out.println("policy version " + server.policyVersion());
      for (var f : server.status().getRejectedFilesList()) {
        f.getProblemsList().forEach(p -> err.println("rejected: " + p));
      }
      out.flush();
      server.awaitTermination();
      return 0;
    }
  }

  private static Duration duration(String option, String text) {
    try {
      return io.meshclient.config.internal.Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }

  @Command(name = "validate", mixinStandardHelpOptions = true,
      description = "Check every policy file of DIR; list every problem with file, line and field path. "
          + "Exit 0 when all are valid, 1 otherwise.")
  static final class Validate implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "A directory of policy files, or one file.")
    Path dir;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      List<FileProblem> problems;
      int files;
      if (Files.isRegularFile(dir)) {
        problems = PolicyFiles.read(dir).problems();
        files = 1;
      } else if (Files.isDirectory(dir)) {
        problems = PolicyDirectory.validate(dir);
        files = PolicyFiles.list(dir).size();
      } else {
        err.println(dir + ": no such file or directory");
        return 1;
      }
      for (FileProblem p : problems) {
        err.println(p);
      }
      if (problems.isEmpty()) {
        out.println("ok: " + files + (files == 1 ? " file" : " files") + " valid");
        return 0;
      }
      long bad = problems.stream().map(FileProblem::file).distinct().count();
      err.println(problems.size() + (problems.size() == 1 ? " problem" : " problems") + " in " + bad + " of "
          + files + (files == 1 ? " file" : " files"));
      return 1;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Print a server's status as a table: connected nodes, their subscriptions, the version each "
          + "ACKed, the last NACK and its error, rejected files, registered instances.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--server", defaultValue = "localhost:18001", paramLabel = "HOST:PORT",
        description = "The server's status address (its --status-port; default ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--json", description = "Print the JSON document instead of the table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> resp;
      try {
        resp = http.send(HttpRequest.newBuilder(URI.create("http://" + server + "/status"))
            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        err.println("status: cannot reach http://" + server + "/status: " + e);
        return 1;
      }
      if (resp.statusCode() != 200) {
        err.println("status: http://" + server + "/status answered " + resp.statusCode());
        return 1;
      }
      if (json) {
        out.print(resp.body());
      } else {
        out.print(StatusTable.text(StatusHttpServer.fromJson(resp.body()), StatusHttpServer.identitiesFromJson(resp.body()),
            StatusHttpServer.caFromJson(resp.body())));
      }
      return 0;
    }
  }
}
