package io.opnp.testing;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real HDFS in this JVM (Hadoop's MiniDFSCluster: one NameNode, one DataNode), every port on 127.0.0.1. */
public final class MiniHdfs {
  private MiniHdfs() {}

  public static MiniDFSCluster start(Path dir) throws IOException {
    Configuration conf = new Configuration();
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf, dir.toFile()).numDataNodes(1).build();
    hdfs.waitActive();
    return hdfs;
  }

  /** The root URI of the cluster, e.g. {@code hdfs://127.0.0.1:PORT}. */
  public static String uri(MiniDFSCluster hdfs) {
    return "hdfs://127.0.0.1:" + hdfs.getNameNodePort();
  }
}
