#include "hardware/gates/forbidden_names.hpp"

namespace kforge::hardware {

const std::map<std::string, std::string>& forbidden_names() {
  static const std::map<std::string, std::string> names = [] {
    std::map<std::string, std::string> m;
    auto add = [&m](std::initializer_list<const char*> list, const char* reason) {
      for (const char* name : list)
        m.emplace(name, reason);
    };
    add({"asm", "__asm", "__asm__"}, "inline assembly");
    add({"extern"}, "linkage specifications are not needed by kernels");
    add({"main", "_start", "_init", "_fini"}, "program entry points belong to the harness");
    add({"system",  "popen",   "pclose",  "fork",    "vfork",   "clone",    "clone3",  "execl",   "execle",
         "execlp",  "execv",   "execve",  "execvp",  "execvpe", "execveat", "fexecve", "syscall", "kill",
         "killpg",  "waitpid", "wait3",   "wait4",   "waitid",  "ptrace",   "prctl",   "ioctl",   "setsid",
         "setpgid", "getpid",  "getppid", "unshare", "setns",   "chroot",   "setuid",  "setgid",  "seccomp"},
        "process control");
    add({"fopen",      "freopen",   "fdopen",   "fclose",   "fread",    "fwrite",  "fflush",  "fprintf",
         "printf",     "vprintf",   "vfprintf", "dprintf",  "puts",     "fputs",   "putchar", "fputc",
         "putc",       "getchar",   "fgetc",    "getc",     "fgets",    "gets",    "scanf",   "fscanf",
         "sscanf",     "perror",    "FILE",     "stdin",    "stdout",   "stderr",  "cout",    "cerr",
         "clog",       "cin",       "iostream", "ofstream", "ifstream", "fstream", "filebuf", "tmpfile",
         "tmpnam",     "mkstemp",   "unlink",   "unlinkat", "openat",   "creat",   "lseek",   "pread",
         "pwrite",     "readv",     "writev",   "sendfile", "mkdir",    "rmdir",   "chdir",   "chmod",
         "truncate",   "ftruncate", "opendir",  "readdir",  "stat",     "fstat",   "lstat",   "access",
         "filesystem", "fcntl",     "fsync"},
        "file I/O");
    add({"socket", "connect", "accept", "listen", "sendto", "recvfrom", "sendmsg", "recvmsg", "getaddrinfo",
         "gethostbyname", "socketpair"},
        "network");
    add({"time",
         "gettimeofday",
         "timespec_get",
         "nanosleep",
         "usleep",
         "times",
         "getrusage",
         "chrono",
         "steady_clock",
         "system_clock",
         "high_resolution_clock",
         "timer_create",
         "setitimer",
         "getitimer",
         "alarm",
         "localtime",
         "gmtime",
         "mktime",
         "difftime",
         "sched_yield"},
        "time");
    add({"thread", "jthread", "this_thread", "async", "future", "promise", "mutex", "condition_variable",
         "omp_get_thread_num", "omp_set_num_threads"},
        "threads");
    add({"dlopen", "dlsym", "dlvsym", "dlclose", "dlerror", "dladdr", "dlinfo", "dl_iterate_phdr"},
        "dynamic loading");
    add({"getenv", "secure_getenv", "setenv", "putenv", "unsetenv", "clearenv", "environ", "__environ"},
        "environment");
    add({"exit", "_exit", "_Exit", "quick_exit", "abort", "atexit", "at_quick_exit", "terminate",
         "set_terminate"},
        "program exit");
    add({"signal", "sigaction", "raise", "sigprocmask", "pthread_sigmask", "sigsetjmp", "siglongjmp"},
        "signals");
    add({"mmap", "mmap64", "munmap", "mprotect", "mremap", "madvise", "brk", "sbrk", "shmget", "shmat",
         "memfd_create", "process_vm_readv", "process_vm_writev"},
        "memory mapping");
    add({"setjmp", "longjmp", "_setjmp", "_longjmp", "jmp_buf"}, "non-local jumps");
    add({"_DYNAMIC",
         "_GLOBAL_OFFSET_TABLE_",
         "__ehdr_start",
         "__executable_start",
         "__dso_handle",
         "link_map",
         "r_debug",
         "_r_debug",
         "getauxval",
         "dl_phdr_info",
         "__libc_stack_end",
         "__libc_start_main",
         "program_invocation_name",
         "program_invocation_short_name",
         "__progname",
         "etext",
         "edata",
         "__bss_start",
         "_etext",
         "_edata",
         "_end"},
        "relocation and symbol-table walking");
    add({"frame_address", "return_address", "extract_return_addr", "apply", "apply_args", "eh_return",
         "unwind_init", "dwarf_cfa", "__builtin_frame_address", "__builtin_return_address"},
        "stack introspection");
    return m;
  }();
  return names;
}

}  // namespace kforge::hardware
