package io.meshclient.spring;

import io.meshclient.spring.internal.PropertyProblem;
import io.meshclient.spring.internal.InvalidMeshPropertiesException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code meshclient.*} properties. Every value is checked when the application starts; a bad
 * one stops start-up with a failure analysis that names the property, the value and what is
 * expected (all problems at once, not just the first).
 */
@ConfigurationProperties("meshclient")
public class MeshClientProperties implements InitializingBean {

  private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9._-]+):(\\d{1,5})");
  private static final Pattern SERVICE_NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");
  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");

  /** Whether MeshClient is wired into the application. */
  private boolean enabled = true;

  private final Config config = new Config();
  private final Node node = new Node();
  private final Registration registration = new Registration();
  private final Identity identity = new Identity();
  private final Http http = new Http();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Config getConfig() {
    return config;
  }

  public Node getNode() {
    return node;
  }

  public Registration getRegistration() {
    return registration;
  }

  public Identity getIdentity() {
    return identity;
  }

  public Http getHttp() {
    return http;
  }

  @Override
  public void afterPropertiesSet() {
    List<PropertyProblem> problems = validate();
    if (!problems.isEmpty()) {
      throw new InvalidMeshPropertiesException(problems);
    }
  }

  /** Every problem of these properties, in declaration order; empty when they are valid. */
  List<PropertyProblem> validate() {
    List<PropertyProblem> problems = new ArrayList<>();
    String server = config.serverAddress;
    if (server != null) {
      var m = HOST_PORT.matcher(server);
      if (!m.matches() || !validPort(Integer.parseInt(m.group(2)))) {
        problems.add(
            new PropertyProblem(
                "meshclient.config.server-address",
                server,
                "host:port with a port in 1..65535, such as mesh-config:7070"));
      }
      if (config.policyDirectory != null) {
        problems.add(
            new PropertyProblem(
                "meshclient.config.policy-directory",
                config.policyDirectory.toString(),
                "not set together with meshclient.config.server-address: policy comes either from"
                    + " the config server or from a directory"));
      }
    }
    if (config.token != null && server == null) {
      problems.add(
          new PropertyProblem(
              "meshclient.config.token",
              "(set)",
              "set only together with meshclient.config.server-address, the server it is for"));
    }
    Path dir = config.policyDirectory;
    if (dir != null && !Files.isDirectory(dir)) {
      problems.add(
          new PropertyProblem(
              "meshclient.config.policy-directory",
              dir.toString(),
              Files.exists(dir)
                  ? "a directory of policy files, but this is a file"
                  : "an existing directory of policy files, but nothing is there"));
    }
    Path cache = config.cacheDirectory;
    if (cache != null) {
      if (server == null) {
        problems.add(
            new PropertyProblem(
                "meshclient.config.cache-directory",
                cache.toString(),
                "set only together with meshclient.config.server-address: it keeps the server's"
                    + " last policy"));
      } else if (Files.exists(cache) && !Files.isDirectory(cache)) {
        problems.add(
            new PropertyProblem(
                "meshclient.config.cache-directory",
                cache.toString(),
                "a directory (created when missing), but this is a file"));
      }
    }
    if (node.service != null && !SERVICE_NAME.matcher(node.service).matches()) {
      problems.add(
          new PropertyProblem(
              "meshclient.node.service",
              node.service,
              "a service name: lower-case letters, digits, '-' and '.', at most 63 characters"));
    }
    node.labels.forEach(
        (k, v) -> {
          if (k.isBlank()) {
            problems.add(new PropertyProblem("meshclient.node.labels", "'" + k + "'", "non-blank label names"));
          }
        });
    Integer port = registration.port;
    if (port != null && !validPort(port)) {
      problems.add(
          new PropertyProblem("meshclient.registration.port", port.toString(), "a port in 1..65535"));
    }
    if (registration.enabled && server == null) {
      problems.add(
          new PropertyProblem(
              "meshclient.registration.enabled",
              "true",
              "false, or meshclient.config.server-address set: instances register with the config"
                  + " server"));
    }
    Path bundle = config.trustBundle;
    if (bundle != null) {
      if (server == null) {
        problems.add(
            new PropertyProblem(
                "meshclient.config.trust-bundle",
                bundle.toString(),
                "set only together with meshclient.config.server-address: it holds the CA"
                    + " certificates the config server's TLS certificate is checked against"));
      } else if (config.plaintext) {
        problems.add(
            new PropertyProblem(
                "meshclient.config.trust-bundle",
                bundle.toString(),
                "not set together with meshclient.config.plaintext=true: a trust bundle is for TLS"));
      }
      if (!Files.isRegularFile(bundle) || !Files.isReadable(bundle)) {
        problems.add(
            new PropertyProblem(
                "meshclient.config.trust-bundle",
                bundle.toString(),
                "a readable PEM file of CA certificates (such as the config server's bundle.pem),"
                    + " but " + (Files.exists(bundle) ? "it cannot be read as a file" : "nothing is there")));
      }
    }
    Path tokenFile = identity.tokenFile;
    if (identity.enabled) {
      // Refused rather than ignored: running without the mTLS the operator asked for is worse
      // than not starting.
      if (server == null) {
        problems.add(
            new PropertyProblem(
                "meshclient.identity.enabled",
                "true",
                "false, or meshclient.config.server-address set: the config server issues"
                    + " workload certificates"));
      } else if (tokenFile == null && config.token == null) {
        problems.add(
            new PropertyProblem(
                "meshclient.identity.token-file",
                "(not set, nor meshclient.config.token)",
                "the bootstrap token that the config server's CA knows this application by: a"
                    + " file holding it (meshclient.identity.token-file) or meshclient.config.token"));
      }
    } else if (tokenFile != null) {
      problems.add(
          new PropertyProblem(
              "meshclient.identity.token-file",
              tokenFile.toString(),
              "set only together with meshclient.identity.enabled=true"));
    }
    if (tokenFile != null && (!Files.isRegularFile(tokenFile) || !Files.isReadable(tokenFile))) {
      problems.add(
          new PropertyProblem(
              "meshclient.identity.token-file",
              tokenFile.toString(),
              "a readable file holding the bootstrap token, but "
                  + (Files.exists(tokenFile) ? "it cannot be read as a file" : "nothing is there")));
    }
    Duration ttl = identity.ttl;
    if (ttl != null && ttl.toSeconds() < 1) {
      problems.add(
          new PropertyProblem(
              "meshclient.identity.ttl",
              ttl.toString(),
              "at least 1s, such as 24h (the config server may cap it)"));
    }
    Duration startTimeout = identity.startTimeout;
    if (startTimeout.isNegative() || startTimeout.isZero()) {
      problems.add(
          new PropertyProblem(
              "meshclient.identity.start-timeout",
              startTimeout.toString(),
              "a positive duration, such as 30s"));
    }
    String td = identity.trustDomain;
    if (td != null && !TRUST_DOMAIN.matcher(td).matches()) {
      problems.add(
          new PropertyProblem(
              "meshclient.identity.trust-domain",
              td,
              "a SPIFFE trust domain: lower-case letters, digits, '.', '-' and '_', such as"
                  + " example.org"));
    }
    for (String service : config.services) {
      if (!SERVICE_NAME.matcher(service).matches()) {
        problems.add(
            new PropertyProblem(
                "meshclient.config.services",
                service,
                "mesh service names (lower-case letters, digits, '-' and '.')"));
      }
    }
    for (String group : http.groups) {
      if (!SERVICE_NAME.matcher(group).matches()) {
        problems.add(
            new PropertyProblem(
                "meshclient.http.groups",
                group,
                "HTTP service group names that are mesh service names (lower-case letters, digits,"
                    + " '-' and '.')"));
      }
    }
    return problems;
  }

  private static boolean validPort(int port) {
    return port > 0 && port <= 65535;
  }

  /** Where policy comes from. */
  public static class Config {

    /**
     * Address of the config server, host:port. When set, policy and endpoints are streamed from
     * it; the last applied policy keeps being used while it is unreachable.
     */
    private @Nullable String serverAddress;

    /** Bearer token presented to the config server (the bootstrap credential). */
    private @Nullable String token;

    /** Whether to talk plaintext to the config server (local development and tests only). */
    private boolean plaintext = false;

    /**
     * PEM file of the CA certificates to check the config server's TLS certificate against (such
     * as the bundle.pem of the server's CA), instead of the system trust store.
     */
    private @Nullable Path trustBundle;

    /**
     * Directory of policy files (YAML) to run from, without a config server ("file mode"). Watched:
     * a changed file is applied, a bad one is rejected and the last good policy kept.
     */
    private @Nullable Path policyDirectory;

    /**
     * Directory where the last applied policy is kept, so that a restart while the config server
     * is unreachable still starts with a policy.
     */
    private @Nullable Path cacheDirectory;

    /**
     * Services this application calls besides those of @MeshClient interfaces and
     * meshclient.http.groups: the config server sends policy only for subscribed services.
     */
    private List<String> services = new ArrayList<>();

    public List<String> getServices() {
      return services;
    }

    public void setServices(List<String> services) {
      this.services = services;
    }

    public @Nullable String getServerAddress() {
      return serverAddress;
    }

    public void setServerAddress(@Nullable String serverAddress) {
      this.serverAddress = serverAddress;
    }

    public @Nullable String getToken() {
      return token;
    }

    public void setToken(@Nullable String token) {
      this.token = token;
    }

    public boolean isPlaintext() {
      return plaintext;
    }

    public void setPlaintext(boolean plaintext) {
      this.plaintext = plaintext;
    }

    public @Nullable Path getTrustBundle() {
      return trustBundle;
    }

    public void setTrustBundle(@Nullable Path trustBundle) {
      this.trustBundle = trustBundle;
    }

    public @Nullable Path getPolicyDirectory() {
      return policyDirectory;
    }

    public void setPolicyDirectory(@Nullable Path policyDirectory) {
      this.policyDirectory = policyDirectory;
    }

    public @Nullable Path getCacheDirectory() {
      return cacheDirectory;
    }

    public void setCacheDirectory(@Nullable Path cacheDirectory) {
      this.cacheDirectory = cacheDirectory;
    }
  }

  /** Who this application is in the mesh. */
  public static class Node {

    /** This application's service name in the mesh. Defaults to spring.application.name. */
    private @Nullable String service;

    /** This application's zone; zone-aware balancing prefers endpoints of the same zone. */
    private String zone = "";

    /** Labels of this instance (such as version=v2), matched by policy subsets when it registers. */
    private Map<String, String> labels = new LinkedHashMap<>();

    public @Nullable String getService() {
      return service;
    }

    public void setService(@Nullable String service) {
      this.service = service;
    }

    public String getZone() {
      return zone;
    }

    public void setZone(String zone) {
      this.zone = zone;
    }

    public Map<String, String> getLabels() {
      return labels;
    }

    public void setLabels(Map<String, String> labels) {
      this.labels = labels;
    }
  }

  /** Registration of this application's own server as an instance of its service. */
  public static class Registration {

    /** Whether to register this application's server with the config server. */
    private boolean enabled = false;

    /** The port to register. Defaults to the port the embedded web server listens on. */
    private @Nullable Integer port;

    /** The host to register. Defaults to this machine's address. */
    private @Nullable String host;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public @Nullable Integer getPort() {
      return port;
    }

    public void setPort(@Nullable Integer port) {
      this.port = port;
    }

    public @Nullable String getHost() {
      return host;
    }

    public void setHost(@Nullable String host) {
      this.host = host;
    }
  }

  /** Workload identity and mutual TLS. */
  public static class Identity {

    /**
     * Whether to obtain a workload certificate (SPIFFE) from the config server's CA at start-up,
     * renew it in the background, and call services whose policy asks for it over mutual TLS.
     */
    private boolean enabled = false;

    /**
     * The SPIFFE trust domain this application's certificate must be in, such as example.org;
     * start-up fails when the config server issues one of another domain. Any when not set.
     */
    private @Nullable String trustDomain;

    /**
     * File holding the bootstrap token presented to the config server's CA, read at every
     * request (a rotated file is used). Defaults to meshclient.config.token.
     */
    private @Nullable Path tokenFile;

    /** Lifetime to ask for each certificate, such as 24h; the server may cap it. Default: the server's. */
    private @Nullable Duration ttl;

    /** How long start-up waits for the first certificate before it fails. */
    private Duration startTimeout = Duration.ofSeconds(30);

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public @Nullable String getTrustDomain() {
      return trustDomain;
    }

    public void setTrustDomain(@Nullable String trustDomain) {
      this.trustDomain = trustDomain;
    }

    public @Nullable Path getTokenFile() {
      return tokenFile;
    }

    public void setTokenFile(@Nullable Path tokenFile) {
      this.tokenFile = tokenFile;
    }

    public @Nullable Duration getTtl() {
      return ttl;
    }

    public void setTtl(@Nullable Duration ttl) {
      this.ttl = ttl;
    }

    public Duration getStartTimeout() {
      return startTimeout;
    }

    public void setStartTimeout(Duration startTimeout) {
      this.startTimeout = startTimeout;
    }
  }

  /** HTTP clients. */
  public static class Http {

    /**
     * Spring HTTP service groups (@ImportHttpServices) to put in the mesh besides those of
     * {@code @MeshClient} interfaces. A group's name is the mesh service it calls.
     */
    private List<String> groups = new ArrayList<>();

    public List<String> getGroups() {
      return groups;
    }

    public void setGroups(List<String> groups) {
      this.groups = groups;
    }
  }
}
