// Hostile: spins forever. Expected: killed at the wall-clock limit.
int main() {
  volatile unsigned long counter = 0;
  for (;;)
    counter = counter + 1;
}
