{
  "targets": [
    {
      "target_name": "peercred",
      "sources": ["peercred.cc"],
      "cflags_cc": ["-O2", "-Wall"]
    }
  ]
}
