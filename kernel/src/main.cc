// plexusd entry point (placeholder until the startup code lands).
int main()
{
    return 0;
}
