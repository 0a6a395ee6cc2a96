import Agent

@main
enum Main {
    static func main() async {
        ResidentMemory.adviseExactFaults()
        await ENIAgent.main()
    }
}
